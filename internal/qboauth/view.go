package qboauth

import (
	"time"

	"github.com/qbosync/qbosync/internal/store"
)

// Status is the JSON view of a connection: never a token.
type Status struct {
	Tenant               string           `json:"tenant"`
	RealmID              string           `json:"realm_id,omitempty"`
	Status               string           `json:"status"`
	ConnectedAt          *time.Time       `json:"connected_at,omitempty"`
	DisconnectedAt       *time.Time       `json:"disconnected_at,omitempty"`
	RefreshExpiresAt     *time.Time       `json:"refresh_token_expires_at,omitempty"`
	RefreshHardExpiresAt *time.Time       `json:"refresh_token_hard_expires_at,omitempty"`
	Warning              *store.Warning   `json:"warning,omitempty"`
	Relatch              bool             `json:"relatch,omitempty"`
	Readiness            *store.Readiness `json:"readiness,omitempty"`
}

// StatusView renders c (tokens are left out whether loaded or not).
func StatusView(c store.Connection) Status {
	return Status{Tenant: c.Tenant, RealmID: c.RealmID, Status: c.Status,
		ConnectedAt: when(c.ConnectedAt), DisconnectedAt: when(c.DisconnectedAt),
		RefreshExpiresAt: when(c.RefreshExpiresAt), RefreshHardExpiresAt: when(c.RefreshHardExpiresAt),
		Warning: c.Warning, Relatch: c.Relatch}
}

func when(t time.Time) *time.Time {
	if t.IsZero() || t.Unix() <= 0 {
		return nil
	}
	u := t.UTC()
	return &u
}
