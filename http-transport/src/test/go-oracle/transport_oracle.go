//go:build ignore

// transport_oracle.go: Go 1.19's Transport (not only ReadResponse) against scripted raw loopback servers, one
// line per case: what the caller gets, the header Go hands it, and how many connections the server accepted
// (one means the connection was reused). It decides the expected behaviour of the connection-level cases of
// the 2026-12-05 parity check (P69, P70 and the cases pinned before: docs/spec/transport.md, transport-lifecycle.md).
// Facts, not code to copy. Not run by CI:
//
//	cd http-transport/src/test/go-oracle && go run transport_oracle.go   # transport-go1.19.8.txt is its output here
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// readReq reads one request head and its Content-Length body.
func readReq(br *bufio.Reader) error {
	cl := 0
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(strings.ToLower(l), "content-length:") {
			fmt.Sscanf(strings.TrimSpace(l[15:]), "%d", &cl)
		}
		if l == "\r\n" {
			break
		}
	}
	_, err := io.CopyN(io.Discard, br, int64(cl))
	return err
}

const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// serve runs script(index, conn, reader) on each accepted connection; it returns the base URL and the count.
func serve(script func(i int, c net.Conn, br *bufio.Reader)) (string, *int32, net.Listener) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	var n int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			i := int(atomic.AddInt32(&n, 1)) - 1
			go script(i, c, bufio.NewReader(c))
		}
	}()
	return "http://" + ln.Addr().String() + "/", &n, ln
}

// answer answers every request on the connection with resp.
func answer(resp string) func(int, net.Conn, *bufio.Reader) {
	return func(_ int, c net.Conn, br *bufio.Reader) {
		for readReq(br) == nil {
			io.WriteString(c, resp)
		}
		c.Close()
	}
}

func do(t *http.Transport, method, url, body string, hdr ...string) string {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := t.RoundTrip(req)
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	return fmt.Sprintf("%d %q bodyErr=%v header=%v trailer=%v", res.StatusCode, b, err, res.Header, res.Trailer)
}

func twice(name string, t *http.Transport, method, url string, n *int32, hdr ...string) {
	for i := 0; i < 2; i++ {
		fmt.Printf("%s #%d: %s\n", name, i+1, do(t, method, url, "", hdr...))
	}
	fmt.Printf("%s: connections=%d\n", name, atomic.LoadInt32(n))
}

func main() {
	// A reused connection whose server reads the next request and then resets or closes it without answering.
	for _, mode := range []string{"reset", "close"} {
		for _, method := range []string{"GET", "POST"} {
			url, n, ln := serve(func(i int, c net.Conn, br *bufio.Reader) {
				if i > 0 {
					answer(ok)(i, c, br)
					return
				}
				readReq(br)
				io.WriteString(c, ok)
				readReq(br)
				if mode == "reset" {
					c.(*net.TCPConn).SetLinger(0)
				}
				c.Close()
			})
			t := &http.Transport{}
			do(t, "GET", url, "")
			body := ""
			if method == "POST" {
				body = "x"
			}
			fmt.Printf("reused, server %s after reading a %s: %s; connections=%d\n", mode, method, do(t, method, url, body), atomic.LoadInt32(n))
			t.CloseIdleConnections()
			ln.Close()
		}
	}
	// A reused connection answered with a broken head, or not at all (response-header timeout).
	for _, k := range [][2]string{{"partial status line", "HTTP/1.1 2"}, {"head cut short", "HTTP/1.1 200 OK\r\nContent-Le"}, {"garbage", "xyz"}, {"silence", ""}} {
		resp := k[1]
		url, n, ln := serve(func(i int, c net.Conn, br *bufio.Reader) {
			if i > 0 {
				answer(ok)(i, c, br)
				return
			}
			readReq(br)
			io.WriteString(c, ok)
			readReq(br)
			if resp == "" {
				io.Copy(io.Discard, c)
				return
			}
			io.WriteString(c, resp)
			c.Close()
		})
		t := &http.Transport{ResponseHeaderTimeout: 500 * time.Millisecond}
		do(t, "GET", url, "")
		fmt.Printf("reused, answered with %s: %s; connections=%d\n", k[0], do(t, "GET", url, ""), atomic.LoadInt32(n))
		t.CloseIdleConnections()
		ln.Close()
	}
	// A 1xx and then silence: the response-header timeout still fires.
	{
		url, _, ln := serve(func(i int, c net.Conn, br *bufio.Reader) {
			readReq(br)
			io.WriteString(c, "HTTP/1.1 103 Early Hints\r\n\r\n")
			io.Copy(io.Discard, c)
		})
		t := &http.Transport{ResponseHeaderTimeout: 500 * time.Millisecond}
		fmt.Printf("103 then silence, ResponseHeaderTimeout 500ms: %s\n", do(t, "GET", url, ""))
		t.CloseIdleConnections()
		ln.Close()
	}
	// P69: the fields Go moves out of the header.
	for _, resp := range []string{
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 7\r\n\r\n",
	} {
		url, n, ln := serve(answer(resp))
		t := &http.Transport{}
		twice(fmt.Sprintf("%q", strings.SplitN(resp, "\r\n", 3)[1]), t, "GET", url, n)
		t.CloseIdleConnections()
		ln.Close()
	}
	// P70: five 3 KB 1xx heads and a 3 KB final head under MaxResponseHeaderBytes 4096; one 1xx head over it.
	{
		hint := "HTTP/1.1 103 Early Hints\r\nLink: " + strings.Repeat("a", 3000) + "\r\n\r\n"
		url, n, ln := serve(answer(strings.Repeat(hint, 5) + "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("b", 3000) + "\r\nContent-Length: 2\r\n\r\nok"))
		t := &http.Transport{MaxResponseHeaderBytes: 4096}
		for i := 0; i < 2; i++ {
			fmt.Printf("five 3 KB 1xx heads, limit 4096 #%d: %.30s\n", i+1, do(t, "GET", url, ""))
		}
		fmt.Printf("five 3 KB 1xx heads: connections=%d\n", atomic.LoadInt32(n))
		t.CloseIdleConnections()
		ln.Close()
		url, _, ln = serve(answer("HTTP/1.1 103 Early Hints\r\nLink: " + strings.Repeat("a", 3000) + "\r\nX: " + strings.Repeat("b", 3000) + "\r\n\r\n" + ok))
		t = &http.Transport{MaxResponseHeaderBytes: 4096}
		fmt.Printf("one 6 KB 1xx head, limit 4096: %s\n", do(t, "GET", url, ""))
		t.CloseIdleConnections()
		ln.Close()
	}
	// HTTP/1.0 keep-alive answers without a body, an HTTP/1.1 HEAD answer without a length, versions other than 1.0
	// and 1.1 (P84), a request's own
	// Connection: close (a header, not Request.Close).
	for _, k := range [][3]string{
		{"HTTP/1.0 keep-alive answer to HEAD", "HEAD", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n"},
		{"HTTP/1.0 keep-alive 204", "GET", "HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n"},
		{"HTTP/1.0 keep-alive 304", "GET", "HTTP/1.0 304 Not Modified\r\nConnection: keep-alive\r\n\r\n"},
		{"HTTP/1.1 answer to HEAD without a length", "HEAD", "HTTP/1.1 200 OK\r\n\r\n"},
		{"HTTP/2.0 status line, a length (P84)", "GET", "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"HTTP/1.2 status line, a length (P84)", "GET", "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok"},
	} {
		url, n, ln := serve(answer(k[2]))
		t := &http.Transport{}
		twice(k[0], t, k[1], url, n)
		t.CloseIdleConnections()
		ln.Close()
	}
	{
		url, n, ln := serve(answer(ok))
		t := &http.Transport{}
		twice("request header Connection: close (Request.Close false)", t, "GET", url, n, "Connection", "close")
		t.CloseIdleConnections()
		ln.Close()
	}
	// DisableKeepAlives with MaxConnsPerHost 1: three concurrent requests.
	{
		url, n, ln := serve(answer(ok))
		t := &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 1}
		done := make(chan string, 3)
		for k := 0; k < 3; k++ {
			go func() { done <- do(t, "GET", url, "") }()
		}
		for k := 0; k < 3; k++ {
			fmt.Printf("DisableKeepAlives, MaxConnsPerHost 1, 3 concurrent: %.8s\n", <-done)
		}
		fmt.Printf("DisableKeepAlives, MaxConnsPerHost 1: connections=%d\n", atomic.LoadInt32(n))
		ln.Close()
	}
	// MaxIdleConnsPerHost 1, two connections put back: which one is kept (the server names each connection).
	{
		var both int32
		release := make(chan struct{})
		url, _, ln := serve(func(i int, c net.Conn, br *bufio.Reader) {
			for readReq(br) == nil {
				if atomic.AddInt32(&both, 1) == 2 {
					close(release)
				}
				<-release
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Conn: %d\r\nContent-Length: 2\r\n\r\nok", i)
			}
		})
		t := &http.Transport{MaxIdleConnsPerHost: 1}
		resc := make(chan *http.Response, 2)
		for k := 0; k < 2; k++ {
			go func() { r, _ := t.RoundTrip(mustGet(url)); resc <- r }()
		}
		a, b := <-resc, <-resc
		io.ReadAll(a.Body)
		a.Body.Close()
		io.ReadAll(b.Body)
		b.Body.Close()
		time.Sleep(100 * time.Millisecond) // let the read loops put both back
		r, _ := t.RoundTrip(mustGet(url))
		r.Body.Close()
		fmt.Printf("MaxIdleConnsPerHost 1: put back conn %s then %s; the next request used conn %s\n",
			a.Header.Get("X-Conn"), b.Header.Get("X-Conn"), r.Header.Get("X-Conn"))
		t.CloseIdleConnections()
		ln.Close()
	}
}

func mustGet(u string) *http.Request { r, _ := http.NewRequest("GET", u, nil); return r }
