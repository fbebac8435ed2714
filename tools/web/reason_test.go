package web

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// The public reasons are IronCurtain's own words for each kind of network
// failure, found however deep the error is wrapped; an unknown kind has no
// reason, and nothing of the error's text is ever used.
func TestNetReason(t *testing.T) {
	deep := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://x.test/?key=" + causeSecret, Err: &net.OpError{
			Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: err},
		}}
	}
	tests := []struct {
		err  error
		want string
	}{
		{deep(syscall.ECONNREFUSED), "connection refused"},
		{deep(syscall.ECONNRESET), "connection reset by the server"},
		{deep(syscall.EHOSTUNREACH), "host unreachable"},
		{deep(os.ErrDeadlineExceeded), "timed out"},
		{deep(&net.DNSError{Err: causeMarker, Name: "x.test", Server: "10.0.0.53:53"}), "its host name could not be resolved"},
		{fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), "the server's TLS certificate is not signed by a trusted authority"},
		{x509.CertificateInvalidError{Reason: x509.Expired}, "the server's TLS certificate has expired or is not yet valid"},
		{io.ErrUnexpectedEOF, "the server closed the connection before answering"},
		{errors.New("http2: " + causeMarker), ""},
	}
	for _, tt := range tests {
		got := netReason(tt.err)
		require.Equal(t, tt.want, got, tt.err.Error())
		require.NotContains(t, got, causeMarker)
		require.NotContains(t, got, causeSecret)
	}
}
