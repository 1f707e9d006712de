// Oracle evidence for GoCornersOracleTest (channels-select): corners of Go's channel and select
// semantics that the recorded corpora of ../../go-oracle leave out or touch only in passing. Go 1.19 (and
// later: no timer is involved).
//
//	go run main.go det   # the deterministic transcript (from this folder)
//	go run main.go stat  # the choice counts (evidence only)
//
// The "det" transcript is compared line for line with the one the Java probe builds from the same steps
// (recorded in the probe as GO_TRANSCRIPT; the probe also runs this program when `go` is on the PATH).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

func guard(f func() string) (out string) {
	defer func() {
		if r := recover(); r != nil {
			s := fmt.Sprint(r)
			if e, ok := r.(runtime.Error); ok {
				s = e.Error()
			}
			out = "panic " + strings.TrimPrefix(s, "runtime error: ")
		}
	}()
	return f()
}

func rr(v int, ok bool) string { return strconv.Itoa(v) + " " + strconv.FormatBool(ok) }

func tryRecv(ch chan int) string {
	return guard(func() string {
		select {
		case v, ok := <-ch:
			return rr(v, ok)
		default:
			return "block"
		}
	})
}

func trySend(ch chan int, v int) string {
	return guard(func() string {
		select {
		case ch <- v:
			return "ok"
		default:
			return "block"
		}
	})
}

// parked waits until n goroutines besides the caller are parked on a channel operation.
func parked(n int) {
	buf := make([]byte, 1<<16)
	for {
		k := runtime.Stack(buf, true)
		c := 0
		for _, line := range strings.Split(string(buf[:k]), "\n") {
			if strings.HasPrefix(line, "goroutine ") && (strings.Contains(line, "[chan send") ||
				strings.Contains(line, "[chan receive") || strings.Contains(line, "[select")) {
				c++
			}
		}
		if c >= n {
			return
		}
		runtime.Gosched()
	}
}

var caps = []int{0, 1, 3, 63, 64, 65, 4096, 4097}

func det() {
	// D1: close of a closed channel panics and leaves the channel as it was: closed, its values buffered.
	for _, c := range caps {
		ch := make(chan int, c)
		n := c
		if n > 2 {
			n = 2
		}
		for i := 1; i <= n; i++ {
			ch <- i
		}
		fmt.Printf("D1 cap %d close -> %s\n", c, guard(func() string { close(ch); return "ok" }))
		fmt.Printf("D1 cap %d close -> %s\n", c, guard(func() string { close(ch); return "ok" }))
		fmt.Printf("D1 cap %d len %d cap %d\n", c, len(ch), cap(ch))
		fmt.Printf("D1 cap %d trysend -> %s\n", c, trySend(ch, 9))
		fmt.Printf("D1 cap %d close -> %s\n", c, guard(func() string { close(ch); return "ok" }))
		for k := 0; k <= n; k++ {
			fmt.Printf("D1 cap %d recv -> %s len %d\n", c, guard(func() string { v, ok := <-ch; return rr(v, ok) }), len(ch))
		}
	}
	// D2: close of the nil channel panics; the nil channel stays disabled.
	var nilc chan int
	fmt.Printf("D2 close nil -> %s\n", guard(func() string { close(nilc); return "ok" }))
	fmt.Printf("D2 close nil -> %s\n", guard(func() string { close(nilc); return "ok" }))
	fmt.Printf("D2 nil len %d cap %d trysend %s tryrecv %s\n", len(nilc), cap(nilc), trySend(nilc, 1), tryRecv(nilc))
	// D3: receive with ok after close with values left, at every capacity.
	for _, c := range caps[1:] {
		ch := make(chan int, c)
		for i := 1; i <= 2 && i <= c; i++ {
			ch <- i * 10
		}
		close(ch)
		var parts []string
		for k := 0; k < 4; k++ {
			v, ok := <-ch
			parts = append(parts, rr(v, ok)+" len "+strconv.Itoa(len(ch)))
		}
		fmt.Printf("D3 cap %d -> %s\n", c, strings.Join(parts, " | "))
	}
	// D4: len and cap of nil, unbuffered, partly full, closed and drained channels.
	for _, c := range caps {
		ch := make(chan int, c)
		k := c / 2
		if k > 5 {
			k = 5
		}
		for i := 0; i < k; i++ {
			ch <- i
		}
		a := fmt.Sprintf("%d/%d", len(ch), cap(ch))
		close(ch)
		b := fmt.Sprintf("%d/%d", len(ch), cap(ch))
		for range ch {
		}
		fmt.Printf("D4 cap %d open %s closed %s drained %d/%d\n", c, a, b, len(ch), cap(ch))
	}
	// D5: range over a buffered channel that its own body closes (and sends to first).
	for _, c := range []int{4, 64, 65} {
		for _, at := range []int{1, 2, 3} {
			for _, sendFirst := range []bool{false, true} {
				ch := make(chan int, c)
				for i := 1; i <= 3; i++ {
					ch <- i
				}
				var got []string
				out := guard(func() string {
					for v := range ch {
						got = append(got, strconv.Itoa(v))
						if v == at {
							if sendFirst {
								ch <- 10
							}
							close(ch)
						}
					}
					return "end"
				})
				fmt.Printf("D5 cap %d close at %d send %v -> [%s] %s len %d\n", c, at, sendFirst, strings.Join(got, " "), out, len(ch))
			}
		}
		// a body that closes and then sends panics, with the values left still buffered
		ch := make(chan int, c)
		ch <- 1
		ch <- 2
		var got []string
		out := guard(func() string {
			for v := range ch {
				got = append(got, strconv.Itoa(v))
				close(ch)
				ch <- 3
			}
			return "end"
		})
		fmt.Printf("D5 cap %d close then send -> [%s] %s len %d then %s\n", c, strings.Join(got, " "), out, len(ch), tryRecv(ch))
	}
	// D6: selects of nil cases only, with default; nil cases beside a closed channel.
	closed := make(chan int)
	close(closed)
	d6 := func() string {
		select {
		case <-nilc:
			return "case 0"
		case nilc <- 1:
			return "case 1"
		default:
			return "default"
		}
	}
	fmt.Printf("D6 nil recv | nil send | default -> %s\n", d6())
	d6b := guard(func() string {
		select {
		case <-nilc:
			return "case 0"
		case nilc <- 1:
			return "case 1"
		case v, ok := <-closed:
			return "case 2 " + rr(v, ok)
		}
	})
	fmt.Printf("D6 nil recv | nil send | recv closed -> %s\n", d6b)
	d6c := guard(func() string {
		select {
		case <-nilc:
			return "case 0"
		case closed <- 1:
			return "case 1"
		default:
			return "default"
		}
	})
	fmt.Printf("D6 nil recv | send closed | default -> %s\n", d6c)
	// D7: a select's send and receive cases on one unbuffered channel never meet.
	u := make(chan int)
	d7 := func() string {
		select {
		case u <- 1:
			return "case 0"
		case v, ok := <-u:
			return "case 1 " + rr(v, ok)
		default:
			return "default"
		}
	}
	fmt.Printf("D7 send u | recv u | default -> %s len %d\n", d7(), len(u))
	// D8: FIFO of parked senders (plain and select, alternating) behind a buffer, and of parked receivers.
	for _, c := range []int{0, 2, 64} {
		ch := make(chan int, c)
		for i := 0; i < c; i++ {
			ch <- 100 + i
		}
		var wg sync.WaitGroup
		for i := 1; i <= 8; i++ {
			v := i
			wg.Add(1)
			go func() {
				defer wg.Done()
				if v%2 == 0 {
					select {
					case ch <- v:
					case <-nilc:
					}
				} else {
					ch <- v
				}
			}()
			parked(i)
		}
		var got []string
		for i := 0; i < c+8; i++ {
			v := <-ch
			if v < 100 || i == c-1 || i == 0 {
				got = append(got, strconv.Itoa(v))
			}
		}
		wg.Wait()
		fmt.Printf("D8 senders cap %d -> [%s]\n", c, strings.Join(got, " "))
		res := make([]int, 9)
		for i := 1; i <= 8; i++ {
			k := i
			wg.Add(1)
			go func() {
				defer wg.Done()
				if k%2 == 1 {
					select {
					case v := <-ch:
						res[k] = v
					case nilc <- 1:
					}
				} else {
					res[k] = <-ch
				}
			}()
			parked(i)
		}
		for i := 1; i <= 8; i++ {
			ch <- i * 11
		}
		wg.Wait()
		fmt.Printf("D8 receivers cap %d -> %v\n", c, res[1:])
	}
	// D9: a parked select woken by the close of one case's channel.
	for _, c := range []int{0, 1, 64} {
		a, b, s := make(chan int, c), make(chan int, c), make(chan int)
		res := make(chan string, 1)
		go func() {
			res <- guard(func() string {
				select {
				case v, ok := <-a:
					return "case 0 " + rr(v, ok)
				case v, ok := <-b:
					return "case 1 " + rr(v, ok)
				case s <- 5:
					return "case 2"
				}
			})
		}()
		parked(1)
		close(b)
		fmt.Printf("D9 cap %d close b -> %s\n", c, <-res)
		go func() {
			res <- guard(func() string {
				select {
				case v, ok := <-a:
					return "case 0 " + rr(v, ok)
				case s <- 5:
					return "case 1"
				}
			})
		}()
		parked(1)
		close(s)
		fmt.Printf("D9 cap %d close s -> %s then %s len %d\n", c, <-res, tryRecv(a), len(a))
	}
	// D10: senders parked on a full buffer when it closes panic; the buffered values stay, in order.
	for _, c := range []int{1, 64, 4096, 4097} {
		ch := make(chan int, c)
		for i := 0; i < c; i++ {
			ch <- i
		}
		res := make([]string, 3)
		first := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 3; g++ {
			k := g
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[k] = guard(func() string {
					if k == 1 {
						select {
						case ch <- 1000 + k:
							return "sent"
						case <-nilc:
							return "nil"
						}
					}
					ch <- 1000 + k
					return "sent"
				})
				if k == 0 {
					close(first)
				}
			}()
			parked(g + 1)
		}
		// one receive first: it takes the head and moves the first parked sender's value in
		v := <-ch
		<-first
		l := len(ch)
		close(ch)
		wg.Wait()
		n, last, sum := 0, -1, 0
		for x := range ch {
			n++
			last = x
			sum = sum*31 + x
		}
		fmt.Printf("D10 cap %d recv %d len %d senders %v drained %d last %d hash %d then %s\n", c, v, l, res, n, last, sum, tryRecv(ch))
	}
	// D11: receivers parked on an empty channel (plain, select, range): a try-send serves the first, close the rest.
	for _, c := range []int{0, 1, 64, 4097} {
		ch := make(chan int, c)
		res := make([]string, 3)
		first := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 3; g++ {
			k := g
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch k {
				case 0:
					v, ok := <-ch
					res[k] = rr(v, ok)
				case 1:
					select {
					case v, ok := <-ch:
						res[k] = "case 0 " + rr(v, ok)
					case <-nilc:
					}
				default:
					var got []string
					for v := range ch {
						got = append(got, strconv.Itoa(v))
					}
					res[k] = "[" + strings.Join(got, " ") + "]"
				}
				if k == 0 {
					close(first)
				}
			}()
			parked(g + 1)
		}
		t1 := trySend(ch, 7)
		<-first
		l := len(ch)
		close(ch)
		wg.Wait()
		fmt.Printf("D11 cap %d trysend %s len %d receivers %v\n", c, t1, l, res)
	}
	// D12: a parked select that leaves on another case leaves no trace in the queue: senders S1, S2 (a select
	// with a quit case), S3, S4 (a select) park in turn; quit closes; the receives get the buffer, S1, S3, S4.
	// The same for receivers R1, R2 (select with quit), R3.
	for _, c := range []int{0, 2, 64, 4097} {
		ch := make(chan int, c)
		quit := make(chan int)
		for i := 0; i < c; i++ {
			ch <- -1
		}
		res := make([]string, 5)
		var wg sync.WaitGroup
		for g := 1; g <= 4; g++ {
			k := g
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch k {
				case 2:
					select {
					case ch <- k:
						res[k] = "sent"
					case _, ok := <-quit:
						res[k] = "quit " + strconv.FormatBool(ok)
					}
				case 4:
					select {
					case ch <- k:
						res[k] = "sent"
					case <-nilc:
					}
				default:
					ch <- k
					res[k] = "sent"
				}
			}()
			parked(g)
		}
		close(quit)
		var got []string
		for i := 0; i < c+3; i++ {
			if v := <-ch; v > 0 {
				got = append(got, strconv.Itoa(v))
			}
		}
		wg.Wait()
		fmt.Printf("D12 senders cap %d -> [%s] %v then %s\n", c, strings.Join(got, " "), res[1:], tryRecv(ch))
		quit = make(chan int)
		res = make([]string, 4)
		for g := 1; g <= 3; g++ {
			k := g
			wg.Add(1)
			go func() {
				defer wg.Done()
				if k == 2 {
					select {
					case v, ok := <-ch:
						res[k] = rr(v, ok)
					case _, ok := <-quit:
						res[k] = "quit " + strconv.FormatBool(ok)
					}
					return
				}
				v, ok := <-ch
				res[k] = rr(v, ok)
			}()
			parked(g)
		}
		close(quit)
		ch <- 11
		ch <- 33
		wg.Wait()
		fmt.Printf("D12 receivers cap %d -> %v len %d\n", c, res[1:], len(ch))
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "stat" {
		stat()
		return
	}
	det()
}

// stat prints how often Go's select picks each of several ready cases (evidence for the chi-square probes).
func stat() {
	const n = 8000
	for _, c := range []int{1, 64} {
		// two ready cases on one channel (duplicates)
		ch := make(chan int, c)
		h := make([]int, 2)
		for i := 0; i < n; i++ {
			ch <- 1
			select {
			case <-ch:
				h[0]++
			case <-ch:
				h[1]++
			}
		}
		fmt.Printf("dup recv cap %d %v\n", c, h)
		h = make([]int, 3)
		for i := 0; i < n; i++ {
			select {
			case ch <- 1:
				h[0]++
			case ch <- 2:
				h[1]++
			case ch <- 3:
				h[2]++
			}
			<-ch
		}
		fmt.Printf("dup send cap %d %v\n", c, h)
		// eight ready cases, mixed
		a, b, s, t := make(chan int, c), make(chan int, c), make(chan int, c), make(chan int, c)
		cl := make(chan int)
		close(cl)
		h = make([]int, 8)
		for i := 0; i < n; i++ {
			for len(a) < 1 {
				a <- 1
			}
			for len(b) < 1 {
				b <- 1
			}
			for len(s) > 0 {
				<-s
			}
			for len(t) > 0 {
				<-t
			}
			select {
			case <-a:
				h[0]++
			case <-b:
				h[1]++
			case <-a:
				h[2]++
			case <-cl:
				h[3]++
			case s <- 1:
				h[4]++
			case t <- 1:
				h[5]++
			case s <- 2:
				h[6]++
			case <-b:
				h[7]++
			}
		}
		fmt.Printf("eight mixed cap %d %v\n", c, h)
	}
}
