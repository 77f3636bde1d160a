package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The demo with the memory store: sticky sessions, lost with their node. */
class DemoMemoryClusterIT extends DemoClusterScenario {
    private static final Path SHOTS = Path.of("target", "browser");

    @Override
    String store() {
        return "memory";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return false;
    }

    /**
     * The live view in headless Chromium (installed by {@code .ci/run}), against this demo: it
     * names the viewer's node as the shop's own X-Served-By does, shows the sessions each node
     * holds, keeps its buttons off until the token is given, and its kill and start buttons take a
     * node down and bring it back.
     */
    @Test
    @Order(7)
    void theLiveView_showsTheCluster_andItsButtonsKillAndStartANode() throws Exception {
        assertThat(demoOutput())
                .anySatisfy(line -> assertThat(line).contains("http://localhost:" + adminPort() + "/live"));
        WebDriver browser = chromium();
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
            JavascriptExecutor js = (JavascriptExecutor) browser;
            // A shopper's tab: a cart addition makes a session, pinned to the node that served it.
            browser.get("http://localhost:" + port() + "/");
            Object servedBy = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                    + "fetch('/api/cart/items', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                    + " body: JSON.stringify({sku: 'MAP-01', qty: 1})})"
                    + ".then(r => done(r.status + ' ' + r.headers.get('X-Served-By')))"
                    + ".catch(e => done('failed ' + e));");
            assertThat(servedBy.toString()).startsWith("200 node-");
            String myNode = servedBy.toString().substring(4);

            browser.get("http://localhost:" + adminPort() + "/live");
            wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
            wait.until(d -> myNode.equals(d.findElement(By.id("viewer")).getDomAttribute("data-node")));
            assertThat(browser.findElement(By.cssSelector("tr.you")).getDomAttribute("data-node"))
                    .isEqualTo(myNode);
            assertThat(browser.findElements(By.cssSelector("#nodes tbody tr"))).hasSize(3);
            // Memory nodes report what they hold: the shopper's node holds at least that session.
            wait.until(d -> sessions(d, myNode) >= 1);
            wait.until(d -> !cell(d, myNode, "rate").getText().equals("\u2013"));

            WebElement kill = button(browser, "node-1", "kill");
            assertThat(kill.isEnabled()).as("no token yet: the buttons are off").isFalse();
            browser.findElement(By.id("token")).sendKeys(adminToken());
            browser.findElement(By.id("use-token")).click();
            wait.until(d -> button(d, "node-1", "kill").isEnabled());
            button(browser, "node-1", "kill").click();
            wait.until(d -> stateOf(d, "node-1").equals("down"));
            assertThat(state("node-1")).isEqualTo("DOWN");
            shot(browser, "live-view-node-down");
            wait.until(d -> button(d, "node-1", "start").isEnabled());
            button(browser, "node-1", "start").click();
            new WebDriverWait(browser, Duration.ofSeconds(120))
                    .until(d -> stateOf(d, "node-1").equals("up"));
            assertThat(browser.findElement(By.id("message")).getText()).doesNotContain("failed");
            shot(browser, "live-view");
        } finally {
            browser.quit();
        }
        awaitState("node-1", "UP");
    }

    private static WebElement row(WebDriver d, String node) {
        return d.findElement(By.cssSelector("#nodes tbody tr[data-node='" + node + "']"));
    }

    private static WebElement cell(WebDriver d, String node, String column) {
        return row(d, node).findElement(By.cssSelector("td." + column));
    }

    private static long sessions(WebDriver d, String node) {
        String text = cell(d, node, "sessions").getText().replace(",", "");
        return text.matches("\\d+") ? Long.parseLong(text) : -1;
    }

    private static String stateOf(WebDriver d, String node) {
        return row(d, node).findElement(By.cssSelector(".badge")).getText();
    }

    private static WebElement button(WebDriver d, String node, String action) {
        return row(d, node).findElement(By.cssSelector("button[data-action='" + action + "']"));
    }

    private static void shot(WebDriver browser, String name) throws Exception {
        Files.createDirectories(SHOTS);
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private static WebDriver chromium() throws Exception {
        HeadlessChromium.requireInstalled(HeadlessChromium.BINARY);
        HeadlessChromium.requireInstalled(HeadlessChromium.DRIVER);
        ChromeOptions options = new ChromeOptions()
                .setBinary(HeadlessChromium.BINARY.toFile())
                .addArguments(HeadlessChromium.flags(Files.createTempDirectory("satchel-live-chromium")))
                .addArguments("--window-size=1100,700");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(HeadlessChromium.DRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }
}
