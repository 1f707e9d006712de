package io.gochan.benchmarks

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.Job
import kotlinx.coroutines.async
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.selects.selectUnbiased

/**
 * Kotlin coroutine channels driven in the shapes of B1 and B2, for the Java JMH benchmarks
 * (`PingPongBenchmark` and `ProducerConsumerBenchmark`, peer KOTLIN). The body that the Java
 * benchmarks run on a fresh virtual thread per invocation is here a `runBlocking` on the dispatcher
 * (the JMH thread blocks, the coroutine runs on the dispatcher), and the partner thread is a
 * coroutine launched on the same dispatcher. The dispatcher mirrors the virtual-thread scheduler:
 * `Dispatchers.Default` (one worker per core) normally, and `Dispatchers.Default.limitedParallelism(1)`
 * when the JVM runs with `-Djdk.virtualThreadScheduler.parallelism=1` (the "1 carrier" rows).
 */
object KotlinChannels {
    @OptIn(ExperimentalCoroutinesApi::class)
    @JvmStatic
    fun dispatcher(): CoroutineDispatcher {
        // Same number of threads as the virtual-thread scheduler has carriers: Default has one worker
        // per core (as the scheduler's default parallelism); any smaller carrier count given to the JVM
        // (1 in run.sh's parallelism1 run, or another value by hand) limits the coroutines likewise.
        val carriers = System.getProperty("jdk.virtualThreadScheduler.parallelism")?.toIntOrNull()
        return if (carriers != null && carriers >= 1 && carriers < Runtime.getRuntime().availableProcessors()) {
            Dispatchers.Default.limitedParallelism(carriers)
        } else {
            Dispatchers.Default
        }
    }

    /** B2: one producer coroutine sends `values` into a channel of `capacity`, the caller receives them. */
    @JvmStatic
    fun transfer(dispatcher: CoroutineDispatcher, values: Array<Long>, capacity: Int): Long =
        runBlocking(dispatcher) {
            val ch = Channel<Long>(capacity) // 0 = Channel.RENDEZVOUS
            launch {
                // Indexed, not `for (v in values)`: that loop unboxes each element and boxes it again
                // for send (a new Long per value above 127), which the Java peers, sending the
                // pre-boxed values as they are, do not pay.
                for (i in values.indices) {
                    ch.send(values[i])
                }
            }
            var sum = 0L
            repeat(values.size) { sum += ch.receive() }
            sum
        }

    /**
     * B4: `channels` producer coroutines, each sending its share of `items` values on its own
     * rendezvous channel, and the caller receiving all of them through a `select` over every channel
     * (the shape of `SelectBenchmark.gochanSelect`).
     */
    @JvmStatic
    fun fanIn(dispatcher: CoroutineDispatcher, channels: Int, items: Int): Long =
        runBlocking(dispatcher) {
            val chans = List(channels) { Channel<Long>(Channel.RENDEZVOUS) }
            val per = items / channels
            for (p in 0 until channels) {
                val count = if (p == channels - 1) items - per * (channels - 1) else per
                val ch = chans[p]
                launch {
                    for (i in 0 until count) {
                        ch.send((i and 127).toLong())
                    }
                }
            }
            var sum = 0L
            repeat(items) {
                // selectUnbiased: a uniform choice among ready clauses, as gochan's select and Go's do;
                // plain `select` always prefers the first ready clause (cheaper, and a different shape).
                sum += selectUnbiased<Long> {
                    for (c in chans) {
                        c.onReceive { it }
                    }
                }
            }
            sum
        }

    /**
     * B3: `producers` coroutines each send their share of `values` into one channel of `capacity`,
     * `consumers` coroutines each receive theirs (the shape of `ContendedBenchmark`); returns the sum.
     */
    @JvmStatic
    fun contended(dispatcher: CoroutineDispatcher, capacity: Int, producers: Int, consumers: Int, values: Array<Long>): Long =
        runBlocking(dispatcher) {
            val ch = Channel<Long>(capacity)
            val perProducer = values.size / producers
            for (p in 0 until producers) {
                launch {
                    for (i in p * perProducer until (p + 1) * perProducer) {
                        ch.send(values[i])
                    }
                }
            }
            val sums = (0 until consumers).map {
                async {
                    var sum = 0L
                    repeat(values.size / consumers) { sum += ch.receive() }
                    sum
                }
            }
            sums.sumOf { it.await() }
        }

    /**
     * B5 daisy chain: `stages` coroutines connected by rendezvous channels, built once (per trial, like
     * `DaisyChainBenchmark`); stage i forwards `v + 1` from channel i to channel i+1 until -1 (STOP).
     */
    class DaisyChain(private val dispatcher: CoroutineDispatcher, stages: Int) {
        private val chans = List(stages + 1) { Channel<Long>(Channel.RENDEZVOUS) }
        private val scope = CoroutineScope(dispatcher)
        private val jobs: List<Job> = (0 until stages).map { i ->
            scope.launch {
                while (true) {
                    val v = chans[i].receive()
                    if (v == -1L) {
                        chans[i + 1].send(-1L)
                        break
                    }
                    chans[i + 1].send(v + 1)
                }
            }
        }

        /** `count` values through the whole chain, one in flight at a time; returns the last value out. */
        fun values(count: Int): Long =
            runBlocking(dispatcher) {
                var last = 0L
                repeat(count) {
                    chans.first().send(0L)
                    last = chans.last().receive()
                }
                last
            }

        fun stop() {
            runBlocking(dispatcher) {
                chans.first().send(-1L)
                check(chans.last().receive() == -1L) { "chain returned a value after STOP" }
                jobs.forEach { it.join() }
            }
            scope.cancel()
        }
    }

    /**
     * B5 prime sieve, the shape of `PrimeSieveBenchmark`: a generator coroutine sends 2..`limit` then
     * STOP (0); for each of the first `n` primes a filter coroutine and a fresh rendezvous channel are
     * added; every coroutine ends by forwarding STOP, and `runBlocking` returns only once all of them
     * have (structured concurrency: nothing outlives the operation). Returns the sum of the primes.
     */
    @JvmStatic
    fun sieve(dispatcher: CoroutineDispatcher, n: Int, limit: Int, numbers: Array<Long>): Long =
        runBlocking(dispatcher) {
            var ch = Channel<Long>(Channel.RENDEZVOUS)
            val source = ch
            launch {
                for (i in 2..limit) {
                    source.send(numbers[i])
                }
                source.send(0L)
            }
            var sum = 0L
            repeat(n) {
                val prime = ch.receive()
                sum += prime
                val input = ch
                val out = Channel<Long>(Channel.RENDEZVOUS)
                launch {
                    while (true) {
                        // Kept as the received object (`Any`): a `Long` local is unboxed, and sending it
                        // on boxes a new Long per value above 127, where the Java peers forward the
                        // object they received.
                        val v: Any = input.receive()
                        if (v == 0L) {
                            out.send(0L)
                            break
                        }
                        if ((v as Long) % prime != 0L) {
                            @Suppress("UNCHECKED_CAST")
                            (out as Channel<Any>).send(v)
                        }
                    }
                }
                ch = out
            }
            check(ch.receive() == 0L) { "the sieve passed a value after the last prime" }
            sum
        }

    /** B1: an echo coroutine that lives for the trial, like `PingPongBenchmark`'s echo thread. */
    class PingPong(private val dispatcher: CoroutineDispatcher) {
        private val ping = Channel<Long>(Channel.RENDEZVOUS)
        private val pong = Channel<Long>(Channel.RENDEZVOUS)
        private val scope = CoroutineScope(dispatcher)
        private val echo: Job = scope.launch {
            while (true) {
                val v = ping.receive()
                if (v == -1L) break
                pong.send(v)
            }
        }

        /** `roundTrips` round trips of one token: send on ping, receive the echo on pong. */
        fun roundTrips(roundTrips: Int) {
            runBlocking(dispatcher) {
                var token = 1L
                repeat(roundTrips) {
                    ping.send(token)
                    token = pong.receive()
                }
            }
        }

        fun stop() {
            runBlocking(dispatcher) {
                ping.send(-1L)
                echo.join()
            }
            scope.cancel()
        }
    }
}
