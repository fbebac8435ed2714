package web

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// netReason names the kind of a network failure in IronCurtain's words, for
// the agent, or returns "" when it is of no kind it knows. The error's own
// text never reaches the agent: Go's net, TLS and resolver errors carry the
// addresses dialled, the resolver's address, the names in a certificate and
// the URL requested (a search provider's with its key), which go to the
// audit log as the cause instead.
func netReason(err error) string {
	var (
		dnsErr  *net.DNSError
		hostErr x509.HostnameError
		authErr x509.UnknownAuthorityError
		invErr  x509.CertificateInvalidError
		verErr  *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		return "its host name could not be resolved"
	case errors.As(err, &hostErr):
		return "the server's TLS certificate is not valid for this host"
	case errors.As(err, &authErr):
		return "the server's TLS certificate is not signed by a trusted authority"
	case errors.As(err, &invErr):
		if invErr.Reason == x509.Expired {
			return "the server's TLS certificate has expired or is not yet valid"
		}
		return "the server's TLS certificate is not valid"
	case errors.As(err, &verErr):
		return "the server's TLS certificate could not be verified"
	case errors.As(err, &recErr):
		return "the server did not answer with TLS"
	case errors.As(err, &alert):
		return "the server ended the TLS handshake"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, syscall.EPIPE):
		return "connection closed by the server"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection before answering"
	}
	return ""
}
