/**
 * An HTTP/1.1 client in the style of Go's {@code net/http}: an {@link HttpClient} (redirects, cookies, timeouts)
 * over a {@link Transport} that pools connections per host, speaks through proxies and TLS, and ends a request when
 * its {@link io.gochan.Context} ends. Each connection's reads and writes run on goroutines; blocking calls are
 * interruptible.
 */
package io.gochan.http;
