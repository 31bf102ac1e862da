package qbosim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault is an error QuickBooks reports as a Fault body. It carries the HTTP
// status the response is sent with.
type Fault struct {
	Status  int
	Type    string // ValidationFault, AuthenticationFault, ...
	Code    string
	Message string
	Detail  string
	Element string
	// gateway marks faults Intuit's gateway answers before QuickBooks sees
	// the request (authentication, authorization): they come in the
	// gateway's lower-case envelope, not the Fault of the Accounting API.
	gateway bool
	// xml sends the Fault as an XML IntuitResponse, as Intuit does for
	// some throttling answers even when JSON was asked for.
	xml bool
}

func (f *Fault) Error() string {
	return fmt.Sprintf("fault %s: %s: %s", f.Code, f.Message, f.Detail)
}

// faultJSON is the "Fault" object of a response or batch item.
func (f *Fault) faultJSON() map[string]any {
	return map[string]any{
		"Error": []any{map[string]any{
			"Message": f.Message,
			"Detail":  f.Detail,
			"code":    f.Code,
			"element": f.Element,
		}},
		"type": f.Type,
	}
}

func validation(code, message, detail, element string) *Fault {
	return &Fault{Status: http.StatusBadRequest, Type: "ValidationFault", Code: code, Message: message, Detail: detail, Element: element}
}

func errUnsupportedProperty(path string) *Fault {
	return validation("2010", "Request has invalid or unsupported property",
		fmt.Sprintf("Property Name:Unrecognized field %q specified is unsupported or invalid", path), path)
}

func errMalformed(detail string) *Fault {
	return validation("2010", "Request has invalid or unsupported property", "Property Name:"+detail, "")
}

func errRequired(element string) *Fault {
	return validation("2020", "Required param missing, need to supply the required value for the API",
		fmt.Sprintf("Required parameter %s is missing in the request", element), element)
}

func errParentRequired() *Fault {
	return validation("6150", "A business validation error has occurred while processing your request",
		"Business Validation Error: A sub-customer (Job true) needs a ParentRef.", "ParentRef")
}

func errStringLength(element string, max int) *Fault {
	return validation("2050", "String length is either shorter or longer than supported by specification",
		fmt.Sprintf("String length specified does not match the supported length. Min:0 Max:%d supported. Supplied length for %s exceeds it.", max, element), element)
}

func errInvalidRef(element, kindName, id string) *Fault {
	return validation("2500", "Invalid Reference Id",
		fmt.Sprintf("Invalid Reference Id : %s %s assigned to %s does not exist or has been deleted.", kindName, id, element), element)
}

func errInactive(element string) *Fault {
	return validation("610", "Object Not Found",
		"Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.", element)
}

func errNotFound(kindName, id string) *Fault {
	return validation("610", "Object Not Found",
		fmt.Sprintf("Object Not Found : Something you're trying to use has been deleted. Check the fields with accounts, customers, items, vendors or employees. (%s Id=%s)", kindName, id), "")
}

func errStale() *Fault {
	return validation("5010", "Stale Object Error",
		"Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.", "")
}

func errDuplicateName(who string) *Fault {
	return validation("6240", "Duplicate Name Exists Error",
		"The name supplied already exists. : Another "+who+" is already using this name. Please use a different name.", "")
}

func errDuplicateDocNumber(doc, kindName, id string) *Fault {
	return validation("6140", "Duplicate Document Number Error",
		fmt.Sprintf("Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=%s is assigned to TxnType=%s with TxnId=%s", doc, kindName, id), "DocNumber")
}

func errBusiness(format string, args ...any) *Fault {
	return validation("6000", "A business validation error has occurred while processing your request",
		"Business Validation Error: "+fmt.Sprintf(format, args...), "")
}

func errAmountMismatch(supplied string) *Fault {
	return validation("6070", "A business validation error has occurred while processing your request",
		"Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:"+supplied, "Amount")
}

func errHasBalance() *Fault {
	return validation("6000", "Delete List Has Balance Error",
		"The entity you are trying to delete has an open balance. : This customer cannot be deleted because it has a non-zero balance", "")
}

func errPeriodClosed(closed string) *Fault {
	return validation("6210", "Account Period Closed",
		"The account period has closed and the books are closed through "+closed+". : You cannot add, change or delete transactions dated on or before the closing date.", "TxnDate")
}

func errUnsupportedOperation(detail string) *Fault {
	return validation("500", "Unsupported Operation", detail, "")
}

func errQueryParse(detail string) *Fault {
	return validation("4000", "Error parsing query", "QueryParserError: "+detail, "")
}

func errQueryInvalid(detail string) *Fault {
	return validation("4001", "Invalid query", "QueryValidationError: "+detail, "")
}

func errAuthentication(detail string) *Fault {
	return &Fault{Status: http.StatusUnauthorized, Type: "AUTHENTICATION", Code: "3200",
		Message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", Detail: detail, gateway: true}
}

func errAuthorization() *Fault {
	return &Fault{Status: http.StatusForbidden, Type: "SERVICE", Code: "3100",
		Message: "message=AuthorizationFailed; errorCode=003100; statusCode=403", gateway: true}
}

// errThrottled is ThrottleExceeded sent with status; Intuit's message
// names the status it was sent with.
func errThrottled(status int) *Fault {
	return &Fault{Status: status, Type: "SERVICE", Code: "3001",
		Message: fmt.Sprintf("message=ThrottleExceeded; errorCode=003001; statusCode=%d", status),
		Detail:  "The request limit was reached.  Try again later"}
}

func errSystem(status int) *Fault {
	if status == http.StatusServiceUnavailable {
		return &Fault{Status: status, Type: "SystemFault", Code: "503",
			Message: "Service Unavailable", Detail: "The service is temporarily unavailable. Try again later"}
	}
	return &Fault{Status: status, Type: "SystemFault", Code: "10000",
		Message: "An application error has occurred while processing your request",
		Detail:  "System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again."}
}

func errGatewayTimeout() *Fault {
	return &Fault{Status: http.StatusGatewayTimeout, Type: "SystemFault", Code: "10000",
		Message: "Request timed out", Detail: "The request took longer than the service allows and was abandoned."}
}

// gatewayJSON is the envelope of Intuit's gateway faults: lower-case
// members, null where QuickBooks would send a value, time in epoch
// milliseconds.
func (f *Fault) gatewayJSON(now time.Time) map[string]any {
	var detail any
	if f.Detail != "" {
		detail = f.Detail
	}
	return map[string]any{
		"warnings": nil, "intuitObject": nil,
		"fault": map[string]any{
			"error": []any{map[string]any{"message": f.Message, "detail": detail, "code": f.Code, "element": nil}},
			"type":  f.Type,
		},
		"report": nil, "queryResponse": nil, "batchItemResponse": []any{}, "attachableResponse": []any{},
		"syncErrorResponse": nil, "requestId": nil, "time": now.UnixMilli(), "status": nil, "cdcresponse": []any{},
	}
}

// faultXML is the Fault as an XML IntuitResponse.
func (f *Fault) faultXML(now time.Time) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	fmt.Fprintf(&b, `<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="%s">`, xmlText(responseTime(now)))
	fmt.Fprintf(&b, `<Fault type="%s"><Error code="%s">`, xmlText(f.Type), xmlText(f.Code))
	fmt.Fprintf(&b, `<Message>%s</Message><Detail>%s</Detail>`, xmlText(f.Message), xmlText(f.Detail))
	b.WriteString(`</Error></Fault></IntuitResponse>`)
	return []byte(b.String())
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
