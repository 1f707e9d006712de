// Oracle for the request-writing rules (P43 on, docs/spec/transport.md): the exact bytes Go's net/http
// client sends for a request a Go user builds. For each case it builds an http.Request (http.NewRequest,
// then fields and Header as a Go user sets them), sends it with an http.Client over a fresh Transport
// whose dialer always reaches a loopback listener (so any host name can be used and the Host field shows
// what Go makes of it), and prints one line:
//
//	name | the bytes the listener received (quoted), or ERR <Go's error> | nothing sent
//
// The listener reads one request with http.ReadRequest through a recorder (body included, chunked or
// not) and answers 204 with Connection: close. Facts only: the Java client is not a copy of Go's code.
// Not run by CI. Run with the Go installed here (1.19):
//
//	go run request_oracle.go
package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"
)

type tc struct {
	name  string
	build func() (*http.Request, error)
	tr    func(*http.Transport) // transport options; nil for none
}

// stream is a body of unknown length (not a *bytes.Reader, *bytes.Buffer or *strings.Reader, whose
// length NewRequest knows).
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

func req(method, url string, body io.Reader, set ...string) func() (*http.Request, error) {
	return func() (*http.Request, error) {
		r, err := http.NewRequest(method, url, body)
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(set); i += 2 {
			r.Header.Add(set[i], set[i+1])
		}
		return r, nil
	}
}

func raw(method, url string, name, value string) func() (*http.Request, error) { // no canonicalisation
	return func() (*http.Request, error) {
		r, err := http.NewRequest(method, url, nil)
		if err != nil {
			return nil, err
		}
		r.Header[name] = append(r.Header[name], value)
		return r, nil
	}
}

func withHost(url, host string) func() (*http.Request, error) {
	return func() (*http.Request, error) {
		r, err := http.NewRequest("GET", url, nil)
		if err != nil {
			return nil, err
		}
		r.Host = host
		return r, nil
	}
}

func body(s string) io.Reader   { return strings.NewReader(s) }
func chunks(s string) io.Reader { return stream{strings.NewReader(s)} }

const u = "http://example.com/"

var corpus = []tc{
	// request line and URL
	{"plain GET", req("GET", u, nil), nil},
	{"no path", req("GET", "http://example.com", nil), nil},
	{"query only", req("GET", "http://example.com?q=1", nil), nil},
	{"fragment", req("GET", "http://example.com/p?q=1#frag", nil), nil},
	{"escaped slash %2F", req("GET", "http://example.com/a%2Fb", nil), nil},
	{"escape %41 (unreserved)", req("GET", "http://example.com/%41", nil), nil},
	{"bad escape %zz", req("GET", "http://example.com/%zz", nil), nil},
	{"space in path", req("GET", "http://example.com/a b", nil), nil},
	{"space in query", req("GET", "http://example.com/?a b", nil), nil},
	{"non-ASCII path and query", req("GET", "http://example.com/caf\u00e9?q=\u00fc", nil), nil},
	{"double slash path", req("GET", "http://example.com//evil.example/x", nil), nil},
	{"opaque URI", req("GET", "http:foo", nil), nil},
	{"CR LF in path", req("GET", "http://example.com/a\r\nX-Injected: 1", nil), nil},
	// methods
	{"method lower-case get", req("get", u, nil), nil},
	{"method custom token", req("M-SEARCH", u, nil), nil},
	{"method with space", req("GE T", u, nil), nil},
	{"method with CRLF", req("GET / HTTP/1.1\r\nX: y\r\n", u, nil), nil},
	{"method empty", req("", u, nil), nil},
	// host
	{"IPv6 literal with port", req("GET", "http://[::1]:8080/", nil), nil},
	{"IPv6 zone", req("GET", "http://[fe80::1%25eth0]:8080/", nil), nil},
	{"default port 80", req("GET", "http://example.com:80/", nil), nil},
	{"empty port", req("GET", "http://example.com:/", nil), nil},
	{"port 8080", req("GET", "http://example.com:8080/", nil), nil},
	{"upper-case host", req("GET", "http://EXAMPLE.com/", nil), nil},
	{"underscore in host", req("GET", "http://a_b.example/", nil), nil},
	{"Host header set", req("GET", u, nil, "Host", "other.example"), nil},
	{"req.Host set", withHost(u, "other.example"), nil},
	{"req.Host with CRLF", withHost(u, "other.example\r\nX-Injected: 1"), nil},
	{"req.Host with space", withHost(u, "other.example x"), nil},
	{"userinfo", req("GET", "http://us%40er:p%3Ass@example.com/", nil), nil},
	{"userinfo, Authorization set", req("GET", "http://user:pass@example.com/", nil, "Authorization", "Bearer t"), nil},
	// bodies and framing
	{"POST nil body", req("POST", u, nil), nil},
	{"PUT nil body", req("PUT", u, nil), nil},
	{"PATCH nil body", req("PATCH", u, nil), nil},
	{"DELETE nil body", req("DELETE", u, nil), nil},
	{"OPTIONS nil body", req("OPTIONS", u, nil), nil},
	{"post lower-case nil body", req("post", u, nil), nil},
	{"POST empty known body", req("POST", u, body("")), nil},
	{"GET empty known body", req("GET", u, body("")), nil},
	{"GET with body", req("GET", u, body("hi")), nil},
	{"DELETE with body", req("DELETE", u, body("hi")), nil},
	{"POST known length", req("POST", u, body("hello")), nil},
	{"POST unknown length (chunked)", req("POST", u, chunks("hello")), nil},
	{"POST unknown length, empty", req("POST", u, chunks("")), nil},
	{"user Content-Length on GET", req("GET", u, nil, "Content-Length", "5"), nil},
	{"user Content-Length on POST", req("POST", u, body("hello"), "Content-Length", "1"), nil},
	{"user Content-Length list", req("POST", u, body("hello"), "Content-Length", "5, 5"), nil},
	{"user TE chunked, known length", req("POST", u, body("hello"), "Transfer-Encoding", "chunked"), nil},
	{"user TE chunked, GET no body", req("GET", u, nil, "Transfer-Encoding", "chunked"), nil},
	{"user TE gzip, chunked body", req("POST", u, chunks("hello"), "Transfer-Encoding", "gzip"), nil},
	{"user Trailer", req("POST", u, chunks("hello"), "Trailer", "X-T"), nil},
	{"user Trailer, known length", req("POST", u, body("hello"), "Trailer", "Content-Length"), nil},
	{"Expect 100-continue with body", req("POST", u, body("hello"), "Expect", "100-continue"), nil},
	{"Expect 100-continue no body", req("GET", u, nil, "Expect", "100-continue"), nil},
	// connection
	{"Connection close", req("GET", u, nil, "Connection", "close"), nil},
	{"Connection keep-alive, keep-alives off", req("GET", u, nil, "Connection", "keep-alive"), func(t *http.Transport) { t.DisableKeepAlives = true }},
	{"keep-alives off", req("GET", u, nil), func(t *http.Transport) { t.DisableKeepAlives = true }},
	{"Upgrade, keep-alives off", req("GET", u, nil, "Connection", "Upgrade", "Upgrade", "websocket"), func(t *http.Transport) { t.DisableKeepAlives = true }},
	{"Keep-Alive, TE, Proxy-Connection", req("GET", u, nil, "Keep-Alive", "timeout=5", "TE", "trailers", "Proxy-Connection", "keep-alive"), nil},
	// fields
	{"duplicates and order", req("GET", u, nil, "X-B", "1", "X-A", "1", "X-B", "2"), nil},
	{"lower-case name, Add", req("GET", u, nil, "x-lower", "1"), nil},
	{"lower-case name, raw map", raw("GET", u, "x-lower", "1"), nil},
	{"value with outer blanks", req("GET", u, nil, "X-A", "  a b \t"), nil},
	{"empty value", req("GET", u, nil, "X-A", ""), nil},
	{"value with tab", req("GET", u, nil, "X-A", "a\tb"), nil},
	{"value with obs-text 0xE9", req("GET", u, nil, "X-A", "caf\xe9"), nil},
	{"value with UTF-8", req("GET", u, nil, "X-A", "caf\u00e9"), nil},
	{"value CRLF injection", req("GET", u, nil, "X-A", "a\r\nX-Injected: 1"), nil},
	{"value LF", req("GET", u, nil, "X-A", "a\nb"), nil},
	{"value CR", req("GET", u, nil, "X-A", "a\rb"), nil},
	{"value NUL", req("GET", u, nil, "X-A", "a\x00b"), nil},
	{"value BEL", req("GET", u, nil, "X-A", "a\x07b"), nil},
	{"value DEL", req("GET", u, nil, "X-A", "a\x7fb"), nil},
	{"value obs-fold CRLF SP", req("GET", u, nil, "X-A", "a\r\n b"), nil},
	{"name with space", raw("GET", u, "X A", "1"), nil},
	{"name with colon", raw("GET", u, "X:A", "1"), nil},
	{"name with CRLF", raw("GET", u, "X-A\r\nX-Injected", "1"), nil},
	{"name empty", raw("GET", u, "", "1"), nil},
	{"name with NUL", raw("GET", u, "X-\x00", "1"), nil},
	{"name with paren", raw("GET", u, "X(A)", "1"), nil},
	{"name non-ASCII", raw("GET", u, "X-\xe9", "1"), nil},
	{"Host value with CRLF (header)", req("GET", u, nil, "Host", "a\r\nX: y"), nil},
	{"Content-Length value with CRLF", req("POST", u, body("hello"), "Content-Length", "5\r\nX: y"), nil},
	// defaults
	{"User-Agent set", req("GET", u, nil, "User-Agent", "mine/1"), nil},
	{"User-Agent empty", req("GET", u, nil, "User-Agent", ""), nil},
	{"User-Agent twice", req("GET", u, nil, "User-Agent", "a", "User-Agent", "b"), nil},
	{"Accept-Encoding set", req("GET", u, nil, "Accept-Encoding", "br"), nil},
	{"Accept-Encoding empty", req("GET", u, nil, "Accept-Encoding", ""), nil},
	{"Range set", req("GET", u, nil, "Range", "bytes=0-1"), nil},
	{"Range empty", req("GET", u, nil, "Range", ""), nil},
	{"Range empty, then set", req("GET", u, nil, "Range", "", "Range", "bytes=0-1"), nil},
	{"HEAD", req("HEAD", u, nil), nil},
	{"compression off", req("GET", u, nil), func(t *http.Transport) { t.DisableCompression = true }},
	{"value of 300000 bytes", req("GET", u, nil, "X-Big", strings.Repeat("a", 300000)), nil},
	{"path of 30000 U+4E2D (270000 bytes sent)", req("GET", u+strings.Repeat("\u4e2d", 30000), nil), nil},
}

// record reads one request from c through a recorder and returns the bytes read.
func record(c net.Conn) []byte {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	var rec bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &rec))
	r, err := http.ReadRequest(br)
	if err == nil {
		if r.Header.Get("Expect") != "" && r.ContentLength != 0 {
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		}
		io.Copy(io.Discard, r.Body)
	} else {
		// not a request Go's server reads: keep what came within a short while
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		io.Copy(io.Discard, br)
	}
	io.WriteString(c, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
	// bufio may have read past the request (pipelined bytes): rec holds all that was received
	return rec.Bytes()
}

func run(c tc, ln net.Listener) string {
	got := make(chan []byte, 1)
	accepted := make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		close(accepted)
		if err != nil {
			got <- nil
			return
		}
		got <- record(conn)
	}()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}}
	if c.tr != nil {
		c.tr(tr)
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	line := fmt.Sprintf("%-40s | ", c.name)
	r, err := c.build()
	if err == nil {
		var resp *http.Response
		resp, err = client.Do(r)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	if err != nil {
		// did anything reach the listener? Poke it so a pending Accept ends.
		select {
		case <-accepted:
			b := <-got
			return line + fmt.Sprintf("ERR %q | sent %q", err.Error(), clip(b))
		case <-time.After(200 * time.Millisecond):
		}
		poke, _ := net.Dial("tcp", ln.Addr().String())
		poke.Close()
		<-got
		return line + fmt.Sprintf("ERR %q | nothing sent", err.Error())
	}
	return line + fmt.Sprintf("%q", clip(<-got))
}

func clip(b []byte) string {
	s := string(b)
	if i := strings.Index(s, strings.Repeat("a", 64)); i >= 0 {
		rest := strings.TrimLeft(s[i:], "a")
		s = s[:i] + fmt.Sprintf("<%d a's>", len(s)-i-len(rest)) + rest
	}
	if len(s) > 400 {
		s = s[:200] + fmt.Sprintf("<%d bytes>", len(s))
	}
	return s
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	fmt.Println("# Go", runtime.Version())
	for _, c := range corpus {
		fmt.Println(run(c, ln))
	}
}
