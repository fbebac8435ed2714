package jail

import (
	"fmt"
	"os"
	"testing"
)

// probeEnv, set in a process's environment, makes this test binary the
// test server program: instead of running tests it performs the actions
// named in its arguments (see probe_linux_test.go) and prints one result
// per line. The escape tests run it inside the jail.
const probeEnv = "JAIL_TEST_PROBE"

func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) == "1" {
		for _, line := range runProbe(os.Args[1:]) {
			fmt.Println(line)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
