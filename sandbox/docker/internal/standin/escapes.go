package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// escapes tries every way out other than the two sockets. Each must fail.
func escapes() []Attempt {
	var out []Attempt
	try := func(name string, f func() (bool, string)) {
		escaped, detail := f()
		out = append(out, Attempt{Name: name, Escaped: escaped, Detail: detail})
	}
	dial := func(network, addr string) (bool, string) {
		c, err := net.DialTimeout(network, addr, 3*time.Second)
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, "connected to " + addr
	}
	try("tcp to the internet", func() (bool, string) { return dial("tcp", "1.1.1.1:443") })
	try("udp dns to the internet", func() (bool, string) {
		c, err := net.DialTimeout("udp", "8.8.8.8:53", 3*time.Second)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write([]byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}); err != nil {
			return false, err.Error()
		}
		b := make([]byte, 512)
		if _, err := c.Read(b); err != nil {
			return false, err.Error()
		}
		return true, "got a DNS answer"
	})
	for _, addr := range strings.Fields(os.Getenv("STANDIN_HOST_ADDRS")) {
		try("tcp to the host at "+addr, func() (bool, string) { return dial("tcp", addr) })
	}
	try("dns lookup", func() (bool, string) {
		r := &net.Resolver{PreferGo: true}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		addrs, err := r.LookupHost(ctx, "example.com")
		if err != nil {
			return false, err.Error()
		}
		return true, strings.Join(addrs, ",")
	})
	try("docker socket", func() (bool, string) { return dial("unix", "/var/run/docker.sock") })
	try("read a host file outside the workspace", func() (bool, string) {
		p := os.Getenv("STANDIN_HOST_FILE")
		b, err := os.ReadFile(p)
		if err != nil {
			return false, err.Error()
		}
		return true, string(b)
	})
	try("write the root file system", func() (bool, string) { return create("/escape") })
	try("write the run directory", func() (bool, string) { return create("/run/ironcurtain/escape") })
	try("write the CA certificate", func() (bool, string) {
		f, err := os.OpenFile("/run/ironcurtain/ca.pem", os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return false, err.Error()
		}
		f.Close()
		return true, "opened for writing"
	})
	try("run a program written to /tmp", func() (bool, string) {
		self, err := os.ReadFile("/proc/self/exe")
		if err != nil {
			return false, err.Error()
		}
		p := "/tmp/dropped"
		if err := os.WriteFile(p, self, 0o755); err != nil {
			return false, err.Error()
		}
		cmd := exec.Command(p)
		cmd.Env = []string{"STANDIN_MODE=crash"}
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return true, "it ran: " + err.Error()
			}
			return false, err.Error()
		}
		return true, "it ran"
	})
	try("become root", func() (bool, string) {
		if err := syscall.Setuid(0); err != nil {
			return false, err.Error()
		}
		return true, fmt.Sprintf("uid %d", os.Getuid())
	})
	try("mount a file system", func() (bool, string) {
		if err := syscall.Mount("none", "/tmp", "tmpfs", 0, ""); err != nil {
			return false, err.Error()
		}
		return true, "mounted"
	})
	try("raw socket", func() (bool, string) {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_ICMP)
		if err != nil {
			return false, err.Error()
		}
		syscall.Close(fd)
		return true, "opened"
	})
	try("ptrace the bridge", func() (bool, string) {
		// The agent's parent is the bridge, which holds the sockets.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		pid := os.Getppid()
		if err := syscall.PtraceAttach(pid); err != nil {
			return false, err.Error()
		}
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, syscall.WALL, nil)
		syscall.PtraceDetach(pid)
		return true, fmt.Sprintf("attached to pid %d", pid)
	})
	try("read the bridge's memory", func() (bool, string) {
		f, err := os.Open(fmt.Sprintf("/proc/%d/mem", os.Getppid()))
		if err != nil {
			return false, err.Error()
		}
		f.Close()
		return true, "opened"
	})
	try("devices", func() (bool, string) {
		for _, d := range []string{"/dev/sda", "/dev/vda", "/dev/mem", "/dev/kmsg"} {
			if f, err := os.Open(d); err == nil {
				f.Close()
				return true, d
			}
		}
		return false, "no block device, /dev/mem or /dev/kmsg"
	})

	// The LLM proxy, asked for what it must not give.
	key := os.Getenv("ANTHROPIC_API_KEY")
	base := os.Getenv("IRONCURTAIN_ANTHROPIC_BASE_URL")
	plain := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil}}
	viaProxy := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: http.ProxyFromEnvironment}}
	refused := func(res HTTPResult) (bool, string) {
		d := fmt.Sprintf("status %d refused=%v %s%s", res.Status, res.Refused, strings.TrimSpace(res.Body), res.Error)
		return res.Status == 200, d
	}
	try("llm: a path not allowed", func() (bool, string) { return refused(post(plain, base+"/v1/files", key, "{}")) })
	try("llm: a method not allowed", func() (bool, string) {
		req, _ := http.NewRequest("DELETE", base+"/v1/messages", nil)
		req.Header.Set("x-api-key", key)
		resp, err := plain.Do(req)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	try("llm: a host not allowed", func() (bool, string) {
		return refused(post(viaProxy, "https://example.com/v1/messages", key, "{}"))
	})
	try("llm: plain http through the proxy", func() (bool, string) {
		return refused(post(viaProxy, "http://api.anthropic.com/v1/messages", key, "{}"))
	})
	try("llm: a wrong key", func() (bool, string) {
		return refused(post(plain, base+"/v1/messages", "sk-ant-api03-"+strings.Repeat("A", 93)+"AA", "{}"))
	})
	try("llm: no key", func() (bool, string) { return refused(post(plain, base+"/v1/messages", "", "{}")) })
	try("llm: the key of another provider", func() (bool, string) {
		return refused(post(plain, base+"/v1/messages", os.Getenv("OPENAI_API_KEY"), "{}"))
	})
	try("llm: escaped path", func() (bool, string) { return refused(post(plain, base+"/v1/%2e%2e/v1/files", key, "{}")) })
	try("llm: tls to the proxy without its CA", func() (bool, string) {
		pu, err := url.Parse(os.Getenv("HTTPS_PROXY"))
		if err != nil {
			return false, err.Error()
		}
		// Trusting nothing, as a client that was not given the CA would.
		c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			Proxy:           http.ProxyURL(pu),
			TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()},
		}}
		return refused(post(c, "https://api.anthropic.com/v1/messages", key, "{}"))
	})
	return out
}

func create(p string) (bool, string) {
	f, err := os.Create(p)
	if err != nil {
		return false, err.Error()
	}
	f.Close()
	return true, "created " + p
}
