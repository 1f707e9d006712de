/** gochan's command-line main job. */
module io.gochan.cli {
    requires io.gochan;
}
