package io.gochan.benchmarks

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.selects.select

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
    fun dispatcher(): CoroutineDispatcher =
        if (System.getProperty("jdk.virtualThreadScheduler.parallelism") == "1") {
            Dispatchers.Default.limitedParallelism(1)
        } else {
            Dispatchers.Default
        }

    /** B2: one producer coroutine sends `values` into a channel of `capacity`, the caller receives them. */
    @JvmStatic
    fun transfer(dispatcher: CoroutineDispatcher, values: Array<Long>, capacity: Int): Long =
        runBlocking(dispatcher) {
            val ch = Channel<Long>(capacity) // 0 = Channel.RENDEZVOUS
            launch {
                for (v in values) {
                    ch.send(v)
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
                sum += select<Long> {
                    for (c in chans) {
                        c.onReceive { it }
                    }
                }
            }
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
