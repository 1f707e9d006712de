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

// firstError keeps the first error of many goroutines (an atomic.Value would panic on a second error
// of another concrete type).
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
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
	var failed firstError
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
						failed.set(err)
						return
					}
				}
			}(share(n, callers, g))
		}
		wg.Wait()
	}
	c.finish(b)
	if err := failed.get(); err != nil {
		b.Fatal(err)
	}
}

// stormSeed and maxCancelDelay fix the H4 plan as HttpClientBenchmark's h4CancellationStorm does
// (STORM_SEED, MAX_CANCEL_DELAY_NANOS): which requests are cancelled and after how long is the same
// every run. Go's generator is not Java's, so the two plans differ in detail, not in distribution.
const (
	stormSeed      = 20261125
	maxCancelDelay = 2 * time.Millisecond
)

// stormPlan says, for each of the 10,000 requests of a storm, whether it is cancelled (exactly half,
// spread at random by a shuffle) and after what delay (uniform in [0, 2 ms)).
var stormPlan = func() (plan [stormSize]struct {
	cancel bool
	delay  time.Duration
}) {
	rng := rand.New(rand.NewSource(stormSeed))
	for i := 0; i < stormSize/2; i++ {
		plan[i].cancel = true
	}
	rng.Shuffle(stormSize, func(i, j int) { plan[i].cancel, plan[j].cancel = plan[j].cancel, plan[i].cancel })
	for i := range plan {
		plan[i].delay = time.Duration(rng.Int63n(int64(maxCancelDelay)))
	}
	return plan
}()

// H4: cancellation storm, the shape of HttpClientBenchmark.h4CancellationStorm. A storm is 10,000
// GETs of the small body from 64 goroutines (goroutine k takes requests k, k+64, ...) through one
// 8-connection pool. The planned half is cancelled through its context by a timer started when the
// request's context is made, after the planned delay: the cancel lands anywhere — before the request
// is sent, while it waits for a connection, in flight, during the body, or after it completed (then it
// is a no-op). A request not cancelled must succeed. One op is one request; b.N requests run as whole
// storms of 10,000 and, last, the first b.N mod 10,000 requests of one more.
//
// Besides ns/op it reports aborted-%: of the cancelled requests, how many ended in an error (the rest
// completed before their cancel); dials/op (connections lost to cancellation have to be reopened);
// and leaked-goroutines: goroutines still alive a second after the pool is closed, compared with
// before the benchmark (must be 0; the JMH side checks its clients' pool statistics instead).
func BenchmarkH4CancellationStorm(b *testing.B) {
	url := server(b) + smallPath
	before := runtime.NumGoroutine()
	c := newClient()
	var failed firstError
	var aborted, cancelled atomic.Int64
	b.ResetTimer()
	for left := b.N; left > 0; {
		n := left
		if n > stormSize {
			n = stormSize
		}
		left -= n
		var wg sync.WaitGroup
		for g := 0; g < callers; g++ {
			wg.Add(1)
			go func(first int) {
				defer wg.Done()
				buf := make([]byte, 16*1024)
				for i := first; i < n; i += callers {
					ctx, cancel := context.WithCancel(context.Background())
					var t *time.Timer
					if stormPlan[i].cancel {
						cancelled.Add(1)
						t = time.AfterFunc(stormPlan[i].delay, cancel)
					}
					_, err := c.get(ctx, url, buf)
					if t != nil {
						t.Stop()
					}
					cancel()
					switch {
					case err == nil:
					case stormPlan[i].cancel:
						aborted.Add(1) // however the transport words it: cut by its cancel
					default:
						failed.set(fmt.Errorf("request %d failed but was not cancelled: %w", i, err))
					}
				}
			}(g)
		}
		wg.Wait()
	}
	c.finish(b)
	if err := failed.get(); err != nil {
		b.Fatal(err)
	}
	if n := cancelled.Load(); n > 0 {
		b.ReportMetric(100*float64(aborted.Load())/float64(n), "aborted-%")
	}
	b.ReportMetric(float64(leakedGoroutines(before)), "leaked-goroutines")
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
