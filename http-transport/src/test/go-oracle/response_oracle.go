// Oracle for the hostile-response rules (P40-P42, docs/spec/transport.md): what Go's net/http client
// makes of a raw HTTP/1.1 response. For each case it runs http.ReadResponse over a bufio.Reader (the
// request's method given), reads the body with io.ReadAll, and prints one line:
//
//	name | METHOD | status or ERR | body (quoted) or BODYERR | keep=<would Go reuse the connection> | rest (quoted)
//
// keep is Go's view after the body: no error, !resp.Close (HTTP/1.0 without keep-alive, Connection:
// close and a body read to the close all set it). rest is what is left in the reader after the body: the
// bytes Go would next read as a response (or log as unsolicited). Facts only: the Java client is not a
// copy of Go's code. Not run by CI. Run with the Go installed here (1.19):
//
//	go run response_oracle.go                 # the built-in corpus below
//	go run response_oracle.go -method HEAD f… # raw response files
//	go run response_oracle.go -dump           # the corpus as name, method, base64 lines
package main

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
)

type tc struct {
	name, method, raw string
}

const tail = "NEXT" // bytes after the response, to show where Go's framing ends

var corpus = []tc{
	// Content-Length
	{"CL list 2, 2", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi" + tail},
	{"CL list 2,2", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2,2\r\n\r\nhi" + tail},
	{"CL list 2, 3", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nhi" + tail},
	{"CL two identical lines", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"CL two identical lines, blanks", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length:  2 \r\n\r\nhi" + tail},
	{"CL two differing lines", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi" + tail},
	{"CL two lines 02 and 2", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 02\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"CL list on HEAD", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n" + tail},
	{"CL list on 204", "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 2, 3\r\n\r\n" + tail},
	{"CL list on 304", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 2, 2\r\n\r\n" + tail},
	{"CL negative", "GET", "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nhi" + tail},
	{"CL plus", "GET", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nhi" + tail},
	{"CL empty", "GET", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nhi" + tail},
	{"CL empty, 1.1 keep-alive", "GET", "HTTP/1.1 200 OK\r\nContent-Length:\r\nContent-Length:\r\n\r\nhi" + tail},
	// Transfer-Encoding in HTTP/1.0
	{"1.0 TE chunked, no CL", "GET", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"},
	{"1.0 TE chunked, CL", "GET", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"1.0 TE chunked, CL, keep-alive", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"1.0 TE gzip, CL, keep-alive", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"1.0 TE chunked, keep-alive, no CL", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"},
	{"1.0 TE chunked, 204", "GET", "HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + tail},
	{"1.0 TE chunked, HEAD", "HEAD", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + tail},
	// Transfer-Encoding in HTTP/1.1
	{"TE gzip, chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	{"TE identity", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nhi"},
	{"TE chunked twice (lines)", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	{"TE chunked + CL", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	// headers
	{"obs-fold", "GET", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"obs-fold of Content-Length", "GET", "HTTP/1.1 200 OK\r\nContent-Length:\r\n 2\r\n\r\nhi" + tail},
	{"fold before first field", "GET", "HTTP/1.1 200 OK\r\n X-A: a\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"space in name", "GET", "HTTP/1.1 200 OK\r\nX A: a\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"space before colon", "GET", "HTTP/1.1 200 OK\r\nX-A : a\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"space before colon of Content-Length", "GET", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi" + tail},
	{"paren in name", "GET", "HTTP/1.1 200 OK\r\nX(A): a\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"non-ASCII in name", "GET", "HTTP/1.1 200 OK\r\nX-\xe9: a\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"no colon", "GET", "HTTP/1.1 200 OK\r\nXA\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"empty name", "GET", "HTTP/1.1 200 OK\r\n: a\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"NUL in value", "GET", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"NUL in name", "GET", "HTTP/1.1 200 OK\r\nX-\x00A: a\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"bare CR in value", "GET", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"bell in value", "GET", "HTTP/1.1 200 OK\r\nX-A: a\x07b\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"bare LF head", "GET", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi" + tail},
	{"bare LF head, chunked CRLF", "GET", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\r\nhi\r\n0\r\n\r\n" + tail},
	// status line
	{"no reason", "GET", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"no reason, trailing space", "GET", "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"two-digit status", "GET", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"four-digit status", "GET", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"status 099", "GET", "HTTP/1.1 099 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"status +20", "GET", "HTTP/1.1 +20 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"status 600", "GET", "HTTP/1.1 600 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"two spaces before status", "GET", "HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"lowercase http/1.1", "GET", "http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"HTTP/2.0", "GET", "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"HTTP/1.2", "GET", "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"HTTP/0.9 status line", "GET", "HTTP/0.9 200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"HTTP/0.9 body", "GET", "<html>hi</html>\r\n"},
	{"HTTP/2 no minor", "GET", "HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"NUL in reason", "GET", "HTTP/1.1 200 O\x00K\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"HTTP/1.01 (P84)", "GET", "HTTP/1.01 200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"tab after the version (P84)", "GET", "HTTP/1.1\t200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"status 0200 (P84)", "GET", "HTTP/1.1 0200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"HTTP/2.0 chunked (P84)", "GET", "HTTP/2.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	{"empty line first", "GET", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" + tail},
	// chunks
	{"chunk ext", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size, trailing blanks", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \t\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size, leading blank", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size, blank before ext", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ;a\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size, tab before ext (P85)", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\t;a\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk ext, blanks after ; (P85)", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2; a = b\r\nhi\r\n0\r\n\r\n" + tail},
	{"last chunk, blank before ext (P85)", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0 ;x\r\n\r\n" + tail},
	{"chunk size 17 hex digits", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000002\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size 16 hex digits", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000002\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size 2^63", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size 0x2", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size -2", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nhi\r\n0\r\n\r\n" + tail},
	{"chunk size bare LF", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nhi\r\n0\r\n\r\n" + tail},
	{"chunk data bare LF", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\n0\r\n\r\n" + tail},
	{"last chunk bare LF", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\n\r\n" + tail},
	{"trailers", "GET", "HTTP/1.1 200 OK\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: v\r\n\r\n" + tail},
	{"trailer obs-fold", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: v\r\n w\r\n\r\n" + tail},
	{"trailer no colon", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nXT\r\n\r\n" + tail},
	{"trailer bare LF end", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: v\n\n" + tail},
	{"Trailer header, not chunked", "GET", "HTTP/1.1 200 OK\r\nTrailer: X-T\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"Trailer: Content-Length", "GET", "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	{"Trailer: Trailer", "GET", "HTTP/1.1 200 OK\r\nTrailer: Trailer\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	{"Trailer: X-T, content-length", "GET", "HTTP/1.1 200 OK\r\nTrailer: X-T, content-length\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	{"Trailer: Content-Length, HEAD chunked", "HEAD", "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n" + tail},
	{"Trailer: Content-Length, 304 chunked", "GET", "HTTP/1.1 304 Not Modified\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n" + tail},
	{"Trailer: Content-Length, CL body", "GET", "HTTP/1.1 200 OK\r\nTrailer: Content-Length\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"Trailer: Content-Length, 1.0 TE", "GET", "HTTP/1.0 200 OK\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nhi" + tail},
	{"trailer field Content-Length", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nContent-Length: 5\r\n\r\n" + tail},
	{"Trailer: Transfer-Encoding", "GET", "HTTP/1.1 200 OK\r\nTrailer: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + tail},
	// keep-alive
	{"body longer than CL", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA"},
	{"no framing 1.1", "GET", "HTTP/1.1 200 OK\r\n\r\nhi"},
	{"1.0 keep-alive CL", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi" + tail},
}

func run(c tc) string {
	br := bufio.NewReader(strings.NewReader(c.raw))
	req, _ := http.NewRequest(c.method, "http://example.com/", nil)
	resp, err := http.ReadResponse(br, req)
	var b strings.Builder
	fmt.Fprintf(&b, "%-38s | %-4s | ", c.name, c.method)
	if err != nil {
		fmt.Fprintf(&b, "ERR %q", err.Error())
		return b.String()
	}
	body, berr := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(&b, "%s %d cl=%d te=%q hdrTE=%q", resp.Proto, resp.StatusCode, resp.ContentLength, resp.TransferEncoding, resp.Header.Values("Transfer-Encoding"))
	if berr != nil {
		fmt.Fprintf(&b, " | BODYERR %q (after %q) | keep=false", berr.Error(), body)
		return b.String()
	}
	rest, _ := io.ReadAll(br)
	fmt.Fprintf(&b, " | body %q | keep=%v | rest %q", body, !resp.Close, rest)
	return b.String()
}

func main() {
	method := flag.String("method", "GET", "request method for files")
	dump := flag.Bool("dump", false, "print the corpus as name<TAB>method<TAB>base64(raw) lines, for a probe of another client")
	flag.Parse()
	if *dump {
		for _, c := range corpus {
			fmt.Printf("%s\t%s\t%s\n", c.name, c.method, base64.StdEncoding.EncodeToString([]byte(c.raw)))
		}
		return
	}
	fmt.Println("# Go", runtime.Version())
	if flag.NArg() == 0 {
		for _, c := range corpus {
			fmt.Println(run(c))
		}
		return
	}
	for _, f := range flag.Args() {
		raw, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(run(tc{f, *method, string(raw)}))
	}
}
