package luminateauthextension

import (
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// How an Authenticate error reaches an OTLP client, read from the collector sources at
// config/configgrpc and config/confighttp v1.71.0 (receiver/otlpreceiver v0.165.0):
//
//   - gRPC: authUnaryServerInterceptor and authStreamServerInterceptor return
//     status.FromError(err) when err (or an error it wraps) has a GRPCStatus method, and
//     otherwise status.Error(codes.Unauthenticated, err.Error()). authError has GRPCStatus,
//     so a missing scope is PermissionDenied and everything else Unauthenticated. OTLP
//     exporters treat both as permanent (no retry).
//   - HTTP: authInterceptor always answers 401 with err.Error() as the message, through the
//     receiver's error handler; otlpreceiver wraps it in a google.rpc.Status (code 16
//     Unauthenticated) encoded as JSON or protobuf by the request's Content-Type. The status is
//     not taken from the error, so a missing scope cannot be 403 on OTLP/HTTP; its message
//     starts with "FORBIDDEN:" so the cause is still visible. The Luminate receiver, which
//     owns its handler, should verify with Verifier() itself to answer 403 with the envelope.
//
// The message is always a fixed text of internal/auth: it never quotes the token.

// authError is what Authenticate returns: an *apierror.Error (reachable with apierror.As)
// that also carries the gRPC status.
type authError struct {
	err *apierror.Error
}

func newAuthError(err error) error {
	e, ok := apierror.As(err)
	if !ok {
		// Not reached with internal/auth, which only returns *apierror.Error; a generic text
		// keeps whatever err holds from reaching the client.
		e = apierror.New(apierror.Unauthorized, "authentication failed")
	}
	return &authError{err: e}
}

func (e *authError) Error() string {
	if e.err.Code != apierror.Forbidden {
		return e.err.Error()
	}
	// OTLP has no structured details, so the scopes go into the text.
	have := "none"
	if s, ok := e.err.Details["scopes"].([]string); ok && len(s) > 0 {
		have = strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s (token scopes: %s)", e.err.Error(), have)
}

func (e *authError) Unwrap() error { return e.err }

// GRPCStatus is read by configgrpc's auth interceptors (see above).
func (e *authError) GRPCStatus() *status.Status {
	code := codes.Unauthenticated
	if e.err.Code == apierror.Forbidden {
		code = codes.PermissionDenied
	}
	return status.New(code, e.Error())
}
