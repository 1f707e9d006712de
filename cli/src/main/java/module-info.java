/** gochan's command-line main job: an HTTP client on gochan's transport, and channel demos. */
module io.gochan.cli {
    requires io.gochan.http;
    // The demos use select directly (io.gochan.http no longer re-exports it).
    requires io.gochan.select;
    requires jdk.httpserver;
}
