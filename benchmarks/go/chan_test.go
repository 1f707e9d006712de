// Package gobench holds Go's own versions of gochan's channel and HTTP benchmarks (B1–B6, H1–H4 in
// shared/spec/benchmarks.md), so Go can stand as a peer column next to the JMH results. Every
// benchmark has the same shape and the same unit of "op" as its JMH twin; README.md lists them.
package gobench

import (
	"testing"
)

// items is how many values one JMH invocation moves (ProducerConsumerBenchmark.ITEMS,
// SelectBenchmark.ITEMS). Go's b.N is processed in batches of this size, each with a fresh channel and
// fresh producer goroutines, so channel creation and goroutine start are amortised exactly as in JMH.
const items = 20_000

// sink keeps results alive so the compiler cannot drop the work that produced them.
var sink int64

// batches calls f with batch sizes of at most items that add up to n.
func batches(n int, f func(n int)) {
	for n > 0 {
		k := n
		if k > items {
			k = items
		}
		f(k)
		n -= k
	}
}

// B1: the benchmark goroutine and an echo goroutine bounce one token over two unbuffered channels.
// One op is one one-way handoff, as in PingPongBenchmark (@OperationsPerInvocation(2 * ROUND_TRIPS)):
// b.N is rounded up to an even number of handoffs.
func BenchmarkB1PingPong(b *testing.B) {
	ping, pong := make(chan int64), make(chan int64)
	go func() {
		// A negative token stops the echo, like PingPongBenchmark.STOP.
		for v := range ping {
			if v < 0 {
				return
			}
			pong <- v
		}
	}()
	b.ResetTimer()
	token := int64(1)
	for i := 0; i < b.N; i += 2 {
		ping <- token
		token = <-pong
	}
	b.StopTimer()
	ping <- -1
	sink = token
}

// B2: one producer, one consumer (the benchmark goroutine), one channel of the given capacity.
// One op is one value moved.
func BenchmarkB2ProducerConsumer(b *testing.B) {
	for _, capacity := range []int{0, 1, 16, 1024} {
		b.Run(name("capacity", capacity), func(b *testing.B) {
			var sum int64
			batches(b.N, func(n int) {
				c := make(chan int64, capacity)
				go func() {
					for i := 0; i < n; i++ {
						c <- int64(i)
					}
				}()
				for i := 0; i < n; i++ {
					sum += <-c
				}
			})
			sink = sum
		})
	}
}

// B3: four producers and four consumers on one channel of capacity 0 or 64. Each batch of items
// values is split evenly: every producer sends a quarter, every consumer receives a quarter, so no
// close is needed and the batch ends when all eight goroutines are done. One op is one value moved.
func BenchmarkB3Contended(b *testing.B) {
	const producers, consumers = 4, 4
	for _, capacity := range []int{0, 64} {
		b.Run(name("capacity", capacity), func(b *testing.B) {
			var total int64
			batches(b.N, func(n int) {
				c := make(chan int64, capacity)
				// done is buffered for every consumer so none of them waits to report its sum.
				done := make(chan int64, consumers)
				for p := 0; p < producers; p++ {
					go func(count int) {
						for i := 0; i < count; i++ {
							c <- int64(i)
						}
					}(share(n, producers, p))
				}
				for q := 0; q < consumers; q++ {
					go func(count int) {
						var s int64
						for i := 0; i < count; i++ {
							s += <-c
						}
						done <- s
					}(share(n, consumers, q))
				}
				for q := 0; q < consumers; q++ {
					total += <-done
				}
			})
			sink = total
		})
	}
}

// share is part i of n split into parts pieces, the last taking the remainder (as SelectBenchmark
// splits ITEMS among its producers).
func share(n, parts, i int) int {
	per := n / parts
	if i == parts-1 {
		return n - per*(parts-1)
	}
	return per
}

// B4: one consumer selecting over 1, 2 or 4 unbuffered channels, each fed by its own producer with
// its share of the batch. One op is one value received. Go's select has a fixed number of cases in
// the source, so each width is its own loop; a one-case select compiles to a plain receive (which is
// what gochanPlainReceive measures on the JMH side).
func BenchmarkB4Select(b *testing.B) {
	for _, width := range []int{1, 2, 4} {
		b.Run(name("channels", width), func(b *testing.B) {
			var sum int64
			batches(b.N, func(n int) {
				cs := make([]chan int64, width)
				for p := range cs {
					cs[p] = make(chan int64)
					go func(c chan<- int64, count int) {
						for i := 0; i < count; i++ {
							c <- int64(i & 127)
						}
					}(cs[p], share(n, width, p))
				}
				sum += fanIn(cs, n)
			})
			sink = sum
		})
	}
}

func fanIn(cs []chan int64, n int) (sum int64) {
	switch len(cs) {
	case 1:
		for i := 0; i < n; i++ {
			select {
			case v := <-cs[0]:
				sum += v
			}
		}
	case 2:
		for i := 0; i < n; i++ {
			select {
			case v := <-cs[0]:
				sum += v
			case v := <-cs[1]:
				sum += v
			}
		}
	case 4:
		for i := 0; i < n; i++ {
			select {
			case v := <-cs[0]:
				sum += v
			case v := <-cs[1]:
				sum += v
			case v := <-cs[2]:
				sum += v
			case v := <-cs[3]:
				sum += v
			}
		}
	default:
		panic("fanIn: unsupported width")
	}
	return sum
}

// chainLength is the number of goroutines in the B5 daisy chain.
const chainLength = 100

// B5 daisy chain (persistent): 100 goroutines stand in a line joined by 101 unbuffered channels; one
// op is one value entering at the left and leaving at the right, i.e. 101 handoffs. The chain is built
// once, so this measures handoff and wake-up along a pipeline, not goroutine start.
func BenchmarkB5DaisyChain(b *testing.B) {
	left := make(chan int64)
	in := left
	for i := 0; i < chainLength; i++ {
		out := make(chan int64)
		go func(in <-chan int64, out chan<- int64) {
			// Closing the left end ripples a close down the line and every link exits.
			for v := range in {
				out <- v + 1
			}
			close(out)
		}(in, out)
		in = out
	}
	right := in
	b.ResetTimer()
	var sum int64
	for i := 0; i < b.N; i++ {
		left <- 0
		sum += <-right
	}
	b.StopTimer()
	close(left)
	for range right {
	}
	if sum != int64(b.N)*chainLength {
		b.Fatalf("chain lost values: sum %d", sum)
	}
}

// B5 daisy chain (spawn), Go's original "daisy chain" from the Go concurrency patterns talk: one op
// starts 100 goroutines and 101 channels, passes one value through them, and every goroutine exits
// after its one hop. This adds goroutine start and many short-lived channels to the handoffs.
func BenchmarkB5DaisyChainSpawn(b *testing.B) {
	for i := 0; i < b.N; i++ {
		leftmost := make(chan int64)
		right := leftmost
		for j := 0; j < chainLength; j++ {
			left := right
			right = make(chan int64)
			go func(left chan<- int64, right <-chan int64) { left <- 1 + <-right }(left, right)
		}
		go func(c chan<- int64) { c <- 1 }(right)
		if v := <-leftmost; v != chainLength+1 {
			b.Fatalf("daisy chain returned %d", v)
		}
	}
}

// sievePrimes is how many primes one B5 sieve op finds; the 100th prime is 541.
const sievePrimes, lastSievePrime = 100, 541

// B5 concurrent prime sieve (Go's classic): a generator feeds 2, 3, 4, ... into a chain of filter
// goroutines, one per prime found, joined by unbuffered channels. One op finds the first 100 primes
// (100 filters and 101 channels started, every number crossing one handoff per filter it passes), as
// `cli sieve 100` does on gochan. The generator stops after 541 and closes its channel; the close
// ripples down the filters so every goroutine exits within the op (the classic version leaks them).
func BenchmarkB5Sieve(b *testing.B) {
	for i := 0; i < b.N; i++ {
		src := make(chan int)
		go func() {
			for n := 2; n <= lastSievePrime; n++ {
				src <- n
			}
			close(src)
		}()
		in := src
		var last int
		for p := 0; p < sievePrimes; p++ {
			prime := <-in
			last = prime
			out := make(chan int)
			go func(in <-chan int, out chan<- int, prime int) {
				for n := range in {
					if n%prime != 0 {
						out <- n
					}
				}
				close(out)
			}(in, out, prime)
			in = out
		}
		// Nothing is left above the 100th prime; wait for the close so no filter outlives the op.
		for range in {
		}
		if last != lastSievePrime {
			b.Fatalf("100th prime was %d", last)
		}
	}
}

// B6: non-blocking send then non-blocking receive (select with default) on a buffered channel of
// capacity 16, from one goroutine; one op is the pair, like gochanTrySendTryReceive.
func BenchmarkB6TrySendTryReceive(b *testing.B) {
	c := make(chan int64, 16)
	var sum int64
	for i := 0; i < b.N; i++ {
		select {
		case c <- 42:
		default:
		}
		select {
		case v := <-c:
			sum += v
		default:
		}
	}
	sink = sum
}
