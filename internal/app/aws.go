package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/qbosync/qbosync/internal/config"
	"github.com/qbosync/qbosync/internal/metrics"
	"github.com/qbosync/qbosync/internal/seal"
)

// FromAWS builds Deps at a function's cold start: configuration from the
// environment (need as for config.FromEnv, one of config.Webhook ...),
// AWS clients, and the secrets named by SSM parameter, read once. Any
// error names what is missing or refused, in one line.
func FromAWS(ctx context.Context, need ...string) (Deps, error) {
	log := lambdacontext.NewLogger()
	cfg, err := config.FromEnv(os.LookupEnv, need...)
	if err != nil {
		return Deps{}, err
	}
	if err := checkLocalKeys(cfg); err != nil {
		return Deps{}, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return Deps{}, fmt.Errorf("load aws config: %w", err)
	}
	params := ssm.NewFromConfig(awsCfg)
	if cfg.ClientSecret == "" && cfg.ClientSecretParam != "" {
		if cfg.ClientSecret, err = parameter(ctx, params, cfg.ClientSecretParam); err != nil {
			return Deps{}, err
		}
	}
	if cfg.StateKey == "" && cfg.StateKeyParam != "" {
		if cfg.StateKey, err = parameter(ctx, params, cfg.StateKeyParam); err != nil {
			return Deps{}, err
		}
	}
	if cfg.IntuitVerifierToken == "" && cfg.IntuitVerifierTokenParam != "" {
		if cfg.IntuitVerifierToken, err = parameter(ctx, params, cfg.IntuitVerifierTokenParam); err != nil {
			return Deps{}, err
		}
	}
	d := Deps{
		DynamoDB: dynamodb.NewFromConfig(awsCfg), SQS: sqs.NewFromConfig(awsCfg), Config: cfg,
		HTTPClient: &http.Client{Timeout: 60 * time.Second}, Log: log, Now: time.Now,
		Metrics: metrics.New(os.Stdout, nil), FunctionName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
	}
	if cfg.TokenKeyID != "" && cfg.SealLocalKey == "" {
		// One Sealer per cold start: its data keys are cached for the
		// function's lifetime.
		d.Sealer = seal.New(seal.NewKMS(kms.NewFromConfig(awsCfg), cfg.TokenKeyID))
	}
	return d, nil
}

// checkLocalKeys refuses local-stack keys that would otherwise only fail
// the first request that seals a secret or checks a token.
func checkLocalKeys(cfg config.Config) error {
	if cfg.SealLocalKey != "" {
		if _, err := LocalSealer(cfg.SealLocalKey); err != nil {
			return fmt.Errorf("SEAL_LOCAL_KEY: %w", err)
		}
	}
	if cfg.AuthLocalKey != "" {
		if key, err := hex.DecodeString(cfg.AuthLocalKey); err != nil || len(key) < 32 {
			return errors.New("AUTH_LOCAL_KEY: want at least 32 bytes in hex")
		}
	}
	return nil
}

func parameter(ctx context.Context, c *ssm.Client, name string) (string, error) {
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read parameter %s: %w", name, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// Exit logs a cold-start failure and exits: Lambda reports it as an init error.
func Exit(msg string, err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error(msg, "err", err)
	os.Exit(1)
}
