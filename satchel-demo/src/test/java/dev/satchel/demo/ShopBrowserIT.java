package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.testkit.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The shop's pages in a real headless Chromium: sign up, log in, add to the cart, see it on the cart
 * page, log out. Runs where Debian's chromium and chromium-driver are installed (the {@code browser}
 * profile); screenshots land in {@code target/browser/} for a person to look at.
 */
class ShopBrowserIT {
    private static final Path SHOTS = Path.of("target", "browser");

    private MemorySessionStore store;
    private ShopNode node;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws Exception {
        store = MemorySessionStore.builder().build();
        node = ShopNode.start(ShopConfig.of("node-b1", 0, Files.createTempDirectory("satchel-browser")), store);
        HeadlessChromium.requireInstalled(HeadlessChromium.DRIVER);
        ChromeOptions options = new ChromeOptions()
                .setBinary(HeadlessChromium.BINARY.toFile())
                .addArguments(HeadlessChromium.flags(Files.createTempDirectory("satchel-chromium")))
                .addArguments("--window-size=1000,800");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(HeadlessChromium.DRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        Files.createDirectories(SHOTS);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        node.close();
        store.close();
    }

    private String url(String path) {
        return node.uri().resolve(path).toString();
    }

    private void shot(String name) throws Exception {
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void signUpLogInShopAndLogOut_inARealBrowser() throws Exception {
        browser.get(url("/login"));
        browser.findElement(By.id("signup-username")).sendKeys("webuser");
        browser.findElement(By.id("signup-password")).sendKeys("a browser passphrase");
        browser.findElement(By.id("signup-submit")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "created"));

        browser.findElement(By.id("login-password")).sendKeys("a browser passphrase");
        browser.findElement(By.id("login-submit")).click();
        wait.until(ExpectedConditions.urlToBe(url("/cart")));

        browser.get(url("/"));
        wait.until(ExpectedConditions.elementToBeClickable(By.id("add-HAT-01"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("cart-count"), "1"));
        browser.findElement(By.id("add-HAT-01")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("cart-count"), "2"));
        assertThat(browser.findElement(By.id("served-by")).getText()).isEqualTo("node-b1");
        shot("shop");

        browser.get(url("/cart"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("cart"), "Wool hat"));
        assertThat(browser.findElement(By.id("cart")).getText()).contains("2 × Wool hat");
        assertThat(browser.findElement(By.id("total")).getText()).isEqualTo("48.00");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "Hello, webuser"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("sessions"), "this browser"));
        shot("cart");

        // Issue 13: 13 additions, 12 of them at once from the page; every one counts.
        browser.findElement(By.id("parallel-add")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("parallel-result"), "gained"));
        assertThat(browser.findElement(By.id("parallel-result")).getText())
                .isEqualTo("Sent 13 additions (12 at once), 0 refused; the cart gained 13 mugs.");
        assertThat(browser.findElement(By.id("cart")).getText()).contains("13 × Enamel mug");
        shot("parallel");

        Cookie sid = browser.manage().getCookieNamed("SID");
        assertThat(sid).isNotNull();
        assertThat(sid.isHttpOnly()).isTrue();
        assertThat(sid.getSameSite()).isEqualTo("Lax");
        Object visible = ((JavascriptExecutor) browser).executeScript("return document.cookie");
        assertThat(String.valueOf(visible))
                .as("scripts cannot read the session id")
                .doesNotContain("SID");

        browser.findElement(By.id("logout")).click();
        wait.until(ExpectedConditions.urlToBe(url("/login")));
        assertThat(browser.manage().getCookieNamed("SID")).isNull();
        browser.get(url("/cart"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "Not logged in"));
        assertThat(browser.findElement(By.id("cart")).getText()).contains("empty");
    }

    @Test
    void wrongPassword_showsTheGenericMessage() throws Exception {
        browser.get(url("/login"));
        browser.findElement(By.id("login-username")).sendKeys("nobody");
        browser.findElement(By.id("login-password")).sendKeys("wrong wrong wrong");
        browser.findElement(By.id("login-submit")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "wrong"));
        assertThat(browser.findElement(By.id("message")).getAttribute("class")).isEqualTo("error");
        shot("login-error");
    }
}
