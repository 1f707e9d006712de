//go:build ignore

// reuse_oracle.go: Go 1.19's Transport against scripted raw loopback servers, one line per shape of answer: a first
// request answered with the shape (its body read to its end, closed unread, or never closed), then a plain GET, and
// how many connections the server accepted (one: the first was reused). It decides the expected connection count of
// each row of ReuseParityTest (E135, docs/spec/transport-lifecycle.md). Facts, not code to copy. Not run by CI:
//
//	cd http-transport/src/test/go-oracle && go run reuse_oracle.go   # reuse-go1.19.8.txt is its output here
//
// Go 1.19 predates the CVE-2024-24791 fix: on a final status before 100 Continue it skips the body and keeps the
// connection; later Go sends the body and keeps it unless either side said close. Either way one connection.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

func readHead(br *bufio.Reader) (string, int, error) {
	cl := 0
	var sb strings.Builder
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", 0, err
		}
		sb.WriteString(l)
		if strings.HasPrefix(strings.ToLower(l), "content-length:") {
			fmt.Sscanf(strings.TrimSpace(l[15:]), "%d", &cl)
		}
		if l == "\r\n" {
			return sb.String(), cl, nil
		}
	}
}

const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

type kase struct {
	name, method, reqHdr, body, resp, consume string
	early                                     bool // answer before reading the body
}

func main() {
	g := gz("hello")
	cases := []kase{
		{"cl read", "GET", "", "", ok, "read", false},
		{"cl closed unread", "GET", "", "", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", "close", false},
		{"chunked read", "GET", "", "", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "read", false},
		{"chunked trailers read", "GET", "", "", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 7\r\n\r\n", "read", false},
		{"chunked empty closed unread", "GET", "", "", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "close", false},
		{"until close 1.1", "GET", "", "", "HTTP/1.1 200 OK\r\n\r\nok", "readclose", false},
		{"response Connection: close", "GET", "", "", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", "read", false},
		{"1.0 cl", "GET", "", "", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "read", false},
		{"1.0 keep-alive cl", "GET", "", "", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", "read", false},
		{"1.0 keep-alive, close cl", "GET", "", "", "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok", "read", false},
		{"HEAD cl 10", "HEAD", "", "", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "close", false},
		{"HEAD chunked", "HEAD", "", "", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "close", false},
		{"HEAD 1.0", "HEAD", "", "", "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n", "close", false},
		{"204", "GET", "", "", "HTTP/1.1 204 No Content\r\n\r\n", "close", false},
		{"304 cl 5", "GET", "", "", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "close", false},
		{"204 cl 5", "GET", "", "", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "close", false},
		{"cl 0 closed unread", "GET", "", "", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "close", false},
		{"cl 0 never closed", "GET", "", "", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "none", false},
		{"103 then 200", "GET", "", "", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + ok, "read", false},
		{"101 not asked", "GET", "", "", "HTTP/1.1 101 Switching Protocols\r\n\r\n", "close", false},
		{"gzip read", "GET", "", "", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(g), g), "read", false},
		{"gzip closed unread", "GET", "", "", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(g), g), "close", false},
		{"gzip cl 0", "GET", "", "", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n", "read", false},
		{"request Connection: close", "GET", "Connection: close", "", ok, "read", false},
		{"POST answered before its body is read", "POST", "", "abc", ok, "read", true},
		{"POST 100-continue, final status first", "POST", "Expect: 100-continue", "abc", ok, "read", true},
		{"POST 100-continue, 100 then 200", "POST", "Expect: 100-continue", "abc", "HTTP/1.1 100 Continue\r\n\r\n" + ok, "read", true},
		{"server closes after its answer", "GET", "", "", ok, "read", false},
		{"bytes after the body", "GET", "", "", ok + "xx", "read", false},
		{"408 on a new connection", "GET", "", "", "HTTP/1.1 408 Request Timeout\r\nContent-Length: 2\r\n\r\nto", "read", false},
		{"1.0 TE chunked keep-alive cl", "GET", "", "", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok", "read", false},
		{"Proxy-Connection: close", "GET", "", "", "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\nok", "read", false},
		{"1xx with Connection: close then 200", "GET", "", "", "HTTP/1.1 103 Early Hints\r\nConnection: close\r\n\r\n" + ok, "read", false},
	}
	for _, k := range cases {
		k := k
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		var n int32
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				i := atomic.AddInt32(&n, 1) - 1
				go func() {
					defer c.Close()
					br := bufio.NewReader(c)
					for {
						_, cl, err := readHead(br)
						if err != nil {
							return
						}
						if i == 0 {
							if k.early {
								io.WriteString(c, k.resp)
							}
							io.CopyN(io.Discard, br, int64(cl))
							if !k.early {
								io.WriteString(c, k.resp)
							}
							if strings.HasPrefix(k.name, "until close") || strings.HasPrefix(k.name, "server closes") {
								return
							}
							i = -1
							continue
						}
						io.CopyN(io.Discard, br, int64(cl))
						io.WriteString(c, ok)
					}
				}()
			}
		}()
		url := "http://" + ln.Addr().String() + "/"
		t := &http.Transport{ExpectContinueTimeout: 5 * time.Second}
		var rd io.Reader
		if k.body != "" {
			rd = strings.NewReader(k.body)
		}
		req, _ := http.NewRequest(k.method, url, rd)
		if k.reqHdr != "" {
			p := strings.SplitN(k.reqHdr, ": ", 2)
			req.Header.Set(p[0], p[1])
		}
		res, err := t.RoundTrip(req)
		first := ""
		if err != nil {
			first = "error: " + err.Error()
		} else {
			switch k.consume {
			case "read", "readclose":
				b, err := io.ReadAll(res.Body)
				first = fmt.Sprintf("%d %q %v", res.StatusCode, b, err)
				res.Body.Close()
			case "close":
				first = fmt.Sprintf("%d", res.StatusCode)
				res.Body.Close()
			case "none":
				first = fmt.Sprintf("%d", res.StatusCode)
			}
		}
		time.Sleep(100 * time.Millisecond)
		res2, err := t.RoundTrip(mustGet(url))
		second := ""
		if err != nil {
			second = "error: " + err.Error()
		} else {
			b, _ := io.ReadAll(res2.Body)
			res2.Body.Close()
			second = fmt.Sprintf("%d %q", res2.StatusCode, b)
		}
		fmt.Printf("%s: first=%s; second=%s; connections=%d\n", k.name, first, second, atomic.LoadInt32(&n))
		t.CloseIdleConnections()
		ln.Close()
	}
}

func mustGet(u string) *http.Request { r, _ := http.NewRequest("GET", u, nil); return r }
