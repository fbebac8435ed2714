package llm

import (
	"net"

	"github.com/ironcurtain-go/ironcurtain/internal/unixsock"
)

// ListenUnix creates a listening Unix socket at path with mode 0600. The
// socket is made in a fresh directory of mode 0700 beside path and renamed
// into place, so nobody else can connect before its mode is set. An
// existing socket at path is replaced only if nothing answers on it; any
// other file there is an error. Closing the listener removes the socket if
// it is still the one made here.
//
// Give the socket to the container's user with os.Chown when that user is
// not the process's own.
func ListenUnix(path string) (net.Listener, error) { return unixsock.Listen(path) }
