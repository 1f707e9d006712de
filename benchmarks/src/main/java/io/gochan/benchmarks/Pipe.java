package io.gochan.benchmarks;

import com.softwaremill.jox.Channel;
import io.gochan.Chan;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.SynchronousQueue;

/** One blocking channel-like peer behind a common shape, so every peer runs the same loop. */
public interface Pipe {
    void put(Long v) throws InterruptedException;

    Long take() throws InterruptedException;

    /** The peers measured side by side. */
    enum Peer {
        /** gochan {@code Chan}. */
        GOCHAN,
        /** Jox 1.0.1 {@code Channel}. */
        JOX,
        /** {@code SynchronousQueue} for capacity 0, {@code ArrayBlockingQueue} otherwise. */
        JUC,
        /** {@code LinkedTransferQueue}: {@code transfer} for capacity 0, unbounded {@code put} otherwise. */
        LTQ,
        /**
         * Kotlin coroutine channels (kotlinx-coroutines 1.10.2): not a blocking pipe — their operations
         * suspend, so B1 and B2 drive them through {@code KotlinChannels} in the same shape instead.
         */
        KOTLIN,
        /** Spike (issue 17): a lock-free dual queue on gochan's spin-then-park policy; capacity 0 only. */
        SPIKE,
        /** {@code new SynchronousQueue<>(true)}: the fair (FIFO) mode, LinkedTransferQueue's xfer; capacity 0 only. */
        SQFAIR;

        Pipe create(int capacity) {
            return switch (this) {
                case GOCHAN -> {
                    Chan<Long> c = Chan.make(capacity);
                    yield new Pipe() {
                        public void put(Long v) throws InterruptedException {
                            c.send(v);
                        }

                        public Long take() throws InterruptedException {
                            return c.receive();
                        }
                    };
                }
                case JOX -> {
                    Channel<Long> c = capacity == 0 ? Channel.newRendezvousChannel() : Channel.newBufferedChannel(capacity);
                    yield new Pipe() {
                        public void put(Long v) throws InterruptedException {
                            c.send(v);
                        }

                        public Long take() throws InterruptedException {
                            return c.receive();
                        }
                    };
                }
                case JUC -> {
                    BlockingQueue<Long> q = capacity == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(capacity);
                    yield new Pipe() {
                        public void put(Long v) throws InterruptedException {
                            q.put(v);
                        }

                        public Long take() throws InterruptedException {
                            return q.take();
                        }
                    };
                }
                case SPIKE -> {
                    if (capacity > 0) {
                        SpikeRing<Long> r = new SpikeRing<>(capacity);
                        yield new Pipe() {
                            public void put(Long v) {
                                r.put(v);
                            }

                            public Long take() {
                                return r.take();
                            }
                        };
                    }
                    SpikeRendezvous<Long> q = new SpikeRendezvous<>();
                    yield new Pipe() {
                        public void put(Long v) {
                            q.put(v);
                        }

                        public Long take() {
                            return q.take();
                        }
                    };
                }
                case SQFAIR -> {
                    if (capacity != 0) {
                        throw new IllegalArgumentException("SQFAIR is a rendezvous: capacity 0 only, not " + capacity);
                    }
                    SynchronousQueue<Long> q = new SynchronousQueue<>(true);
                    yield new Pipe() {
                        public void put(Long v) throws InterruptedException {
                            q.put(v);
                        }

                        public Long take() throws InterruptedException {
                            return q.take();
                        }
                    };
                }
                case KOTLIN -> throw new UnsupportedOperationException("Kotlin channels suspend: use KotlinChannels");
                case LTQ -> {
                    LinkedTransferQueue<Long> q = new LinkedTransferQueue<>();
                    yield new Pipe() {
                        public void put(Long v) throws InterruptedException {
                            if (capacity == 0) {
                                q.transfer(v);
                            } else {
                                q.put(v);
                            }
                        }

                        public Long take() throws InterruptedException {
                            return q.take();
                        }
                    };
                }
            };
        }
    }
}
