package gobench

// H1–H4: Go's net/http client against a real server on loopback that is not ours (nginx, started by
// benchmarks/go.sh, which passes its address). The client side copies HttpClientBenchmark: keep-alive,
// at most 8 connections per host, no transparent gzip, every body read to its end with a 16 KiB buffer.
// One op is one request.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The server is a flag (go test ... -args -server URL) or, failing that, an environment variable, so
// the package still runs its channel benchmarks when no server is there.
var serverFlag = flag.String("server", "", "base URL of the HTTP server, e.g. http://127.0.0.1:8080 (or GOCHAN_BENCH_SERVER)")

func server(b *testing.B) string {
	s := *serverFlag
	if s == "" {
		s = os.Getenv("GOCHAN_BENCH_SERVER")
	}
	if s == "" {
		b.Skip("no HTTP server: pass -args -server http://HOST:PORT or set GOCHAN_BENCH_SERVER")
	}
	return s
}

const (
	smallPath = "/plain/small.txt"
	bigPath   = "/plain/big.bin"
	// callers and perCaller are HttpClientBenchmark.CALLERS and PER_CALLER: one JMH invocation of H2
	// is 64 fresh callers doing 16 requests each.
	callers   = 64
	perCaller = 16
	// stormSize is how many requests one H4 storm issues (shared/spec/benchmarks.md).
	stormSize = 10_000
)

// client is one Transport configured like the JMH peers, with a dialer that counts new connections
// so every benchmark can report how often the pool had to open one.
type client struct {
	http  *http.Client
	tr    *http.Transport
	dials atomic.Int64
}

func newClient() *client {
	c := &client{}
	d := &net.Dialer{Timeout: 5 * time.Second}
	c.tr = &http.Transport{
		MaxConnsPerHost:     8,
		MaxIdleConnsPerHost: 8,
		MaxIdleConns:        8,
		DisableCompression:  true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c.dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	}
	c.http = &http.Client{Transport: c.tr}
	return c
}

// get performs one GET and reads the body to its end; buf is the caller's own read buffer.
func (c *client) get(ctx context.Context, url string, buf []byte) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return drain(resp.Body, buf)
}

func drain(r io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// finish reports dials per op and closes the pool, so no benchmark inherits another's connections.
func (c *client) finish(b *testing.B) {
	b.StopTimer()
	b.ReportMetric(float64(c.dials.Load())/float64(b.N), "dials/op")
	c.tr.CloseIdleConnections()
}

// sequential is H1 and H3: one caller, one request after another on a kept-alive connection.
func sequential(b *testing.B, path string) {
	url := server(b) + path
	c := newClient()
	buf := make([]byte, 16*1024)
	ctx := context.Background()
	if _, err := c.get(ctx, url, buf); err != nil { // open the connection outside the timed region
		b.Fatal(err)
	}
	c.dials.Store(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.get(ctx, url, buf); err != nil {
			b.Fatal(err)
		}
	}
	c.finish(b)
}

// H1: sequential keep-alive GETs of a small body.
func BenchmarkH1SequentialSmall(b *testing.B) { sequential(b, smallPath) }

// H3: sequential GETs of a 1 MiB body (streaming throughput).
func BenchmarkH3LargeBody(b *testing.B) { sequential(b, bigPath) }

// H2: 64 concurrent callers through one pool of at most 8 connections, small body. b.N is done in
// batches of 64 × 16 requests, each batch by 64 fresh goroutines, as one JMH invocation is.
func BenchmarkH2Concurrent64(b *testing.B) {
	url := server(b) + smallPath
	c := newClient()
	var failed atomic.Value
	b.ResetTimer()
	for left := b.N; left > 0; {
		n := left
		if n > callers*perCaller {
			n = callers * perCaller
		}
		left -= n
		var wg sync.WaitGroup
		for g := 0; g < callers; g++ {
			wg.Add(1)
			go func(count int) {
				defer wg.Done()
				buf := make([]byte, 16*1024)
				for i := 0; i < count; i++ {
					if _, err := c.get(context.Background(), url, buf); err != nil {
						failed.Store(err)
						return
					}
				}
			}(share(n, callers, g))
		}
		wg.Wait()
	}
	c.finish(b)
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
}

// H4: cancellation storm. Requests go out in storms of 10,000 from 64 concurrent goroutines through
// one 8-connection pool (small body); each request is, with probability 1/2, cancelled at a random
// point, chosen uniformly among:
//   - before it is sent (its context is already cancelled),
//   - after a random delay of 0–200 µs (a timer; lands anywhere from waiting for a connection to
//     reading the body, or after the request has finished, which is then a no-op),
//   - after the response headers arrive, before the body is read (reading it then fails, unless the
//     transport already buffered it; a connection whose exchange was cut is not reused).
//
// The other half must succeed. One op is one request, cancelled or not. Besides ns/op it reports
// cancelled-%: how many requests ended in an error (the cancel hit in time), dials/op (connections
// lost to cancellation have to be reopened), and leaked-goroutines: goroutines still alive a second
// after the pool is closed, compared with before the benchmark (must be 0).
func BenchmarkH4CancellationStorm(b *testing.B) {
	url := server(b) + smallPath
	before := runtime.NumGoroutine()
	c := newClient()
	var failed atomic.Value
	var errorsSeen atomic.Int64
	var seed int64
	b.ResetTimer()
	for left := b.N; left > 0; {
		n := left
		if n > stormSize {
			n = stormSize
		}
		left -= n
		// Workers take request numbers from a shared counter, so a cancelled request's early end
		// frees its goroutine for the next one at once.
		var next atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < callers; g++ {
			wg.Add(1)
			seed++
			go func(rng *rand.Rand) {
				defer wg.Done()
				buf := make([]byte, 16*1024)
				for next.Add(1) <= int64(n) {
					cancelled, err := stormRequest(c, url, buf, rng)
					if err != nil {
						// The transport words a cancel differently by where it hit (context.Canceled,
						// "request canceled", a closed body): any error of a cancelled request is its cancel.
						if !cancelled {
							failed.Store(err)
							return
						}
						errorsSeen.Add(1)
					}
				}
			}(rand.New(rand.NewSource(seed)))
		}
		wg.Wait()
	}
	c.finish(b)
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(100*float64(errorsSeen.Load())/float64(b.N), "cancelled-%")
	b.ReportMetric(float64(leakedGoroutines(before)), "leaked-goroutines")
}

// stormRequest makes one H4 request; it returns the error the request ended with, and whether its
// context had been cancelled by then (a timer may fire too late, after a successful request).
func stormRequest(c *client, url string, buf []byte, rng *rand.Rand) (cancelled bool, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer func() { cancelled = ctx.Err() != nil }() // runs before the deferred cancel above
	if rng.Intn(2) == 0 {
		_, err = c.get(ctx, url, buf)
		return
	}
	switch rng.Intn(3) {
	case 0:
		cancel()
	case 1:
		t := time.AfterFunc(time.Duration(rng.Intn(200_000)), cancel)
		defer t.Stop()
	case 2:
		req, e := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if e != nil {
			return false, e
		}
		resp, e := c.http.Do(req)
		if e != nil {
			return false, e
		}
		cancel()
		_, err = drain(resp.Body, buf)
		resp.Body.Close()
		return
	}
	_, err = c.get(ctx, url, buf)
	return
}

// leakedGoroutines waits up to a second for the goroutine count to fall back to what it was before
// the benchmark (connection read/write loops end asynchronously after the pool closes them) and
// returns how many remain above it.
func leakedGoroutines(before int) int {
	deadline := time.Now().Add(time.Second)
	for {
		n := runtime.NumGoroutine() - before
		if n <= 0 || time.Now().After(deadline) {
			if n < 0 {
				n = 0
			}
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}
