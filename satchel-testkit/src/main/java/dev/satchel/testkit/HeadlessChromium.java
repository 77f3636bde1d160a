package dev.satchel.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How the tests run Debian's Chromium: headless, as root, on a machine whose outside network is
 * closed. The flags are shared here; the tests drive it with Selenium or {@code --dump-dom}.
 */
public final class HeadlessChromium {
    /** The browser, from Debian's {@code chromium} package. */
    public static final Path BINARY = Path.of("/usr/bin/chromium");
    /** Its WebDriver, from Debian's {@code chromium-driver} package. */
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private HeadlessChromium() {}

    /**
     * Flags for one run with its own fresh profile. No sandbox (root), no GPU, and none of the
     * background fetches that a closed network would refuse, many at a time.
     */
    public static List<String> flags(Path profile) {
        return List.of(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--user-data-dir=" + profile);
    }

    /**
     * Fails, saying what to install, unless {@code executable} is there: a browser test that
     * cannot run is a failure, never a silent skip. {@code .ci/run} installs both packages.
     */
    public static void requireInstalled(Path executable) {
        if (!Files.isExecutable(executable)) {
            throw new IllegalStateException(
                    executable + " is not installed: apt-get install -y chromium chromium-driver");
        }
    }
}
