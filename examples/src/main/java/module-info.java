/** A gochan user's program: a worker pool with select and a context, and an HTTP fan-in. */
module io.gochan.examples {
    requires io.gochan.select;
    requires io.gochan.http;
    requires jdk.httpserver;
    exports io.gochan.examples;
}
