/** gochan's command-line main job: an HTTP client on gochan's transport, and channel demos. */
module io.gochan.cli {
    requires io.gochan.http;
    requires jdk.httpserver;
}
