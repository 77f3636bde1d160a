package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.Await;
import dev.satchel.testkit.HeadlessChromium;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * {@code satchel demo --tls}, as a user starts it: one shop node behind a balancer that terminates
 * TLS with the throwaway certificate the demo makes and prints, plus its HTTP-to-HTTPS listener.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoTlsIT {
    private Process demo;
    private final List<String> said = new CopyOnWriteArrayList<>();
    private int port;
    private int redirectPort;

    @BeforeAll
    void startDemo() throws Exception {
        int base = freeRun();
        port = base + 3;
        redirectPort = base + 5;
        Path data = Files.createTempDirectory("satchel-tls-it");
        demo = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        Path.of("target", "satchel.jar").toString(),
                        "demo",
                        "--tls",
                        "--nodes",
                        "1",
                        "--store",
                        "memory",
                        "--port",
                        Integer.toString(port),
                        "--admin-port",
                        Integer.toString(base + 4),
                        "--http-redirect-port",
                        Integer.toString(redirectPort),
                        "--base-port",
                        Integer.toString(base),
                        "--data-dir",
                        data.toString())
                .redirectErrorStream(true)
                .start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    said.add(line);
                }
            } catch (IOException ignored) {
                // the demo ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        Await.until(
                Duration.ofSeconds(120),
                () -> {
                    if (!demo.isAlive()) {
                        throw new AssertionError("the demo exited early: " + String.join("\n", said));
                    }
                    return said.stream().anyMatch(l -> l.contains("Satchel demo is serving"));
                },
                "the demo to start");
    }

    @AfterAll
    void stopDemo() throws Exception {
        demo.destroy();
        assertThat(demo.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theDemoSaysItServesHttps_andPrintsTheFingerprintOfTheCertificateItPresents() throws Exception {
        assertThat(said).anySatisfy(l -> assertThat(l).contains("serving https://localhost:" + port));
        String line = said.stream()
                .filter(l -> l.contains("self-signed certificate"))
                .findFirst()
                .orElseThrow();
        X509Certificate presented = presentedCertificate();
        String fingerprint = HexFormat.ofDelimiter(":")
                .withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(presented.getEncoded()));
        assertThat(line).contains(fingerprint);
        assertThat(said).anySatisfy(l -> assertThat(l).contains("Not for production"));
        assertThat(presented.getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
    }

    @Test
    void aSessionMadeOverHttps_getsSecureCookies_fromTheNodeAndTheBalancer() throws Exception {
        HttpClient https = HttpClient.newBuilder()
                .sslContext(trusting(presentedCertificate()))
                .build();
        HttpResponse<String> added = https.send(
                HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/api/cart/items"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"sku\":\"MAP-01\",\"qty\":1}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        List<String> cookies = added.headers().allValues("set-cookie");
        assertThat(cookies).anySatisfy(c -> assertThat(c).startsWith("SID=").contains("; Secure"));
        assertThat(cookies)
                .anySatisfy(c -> assertThat(c).startsWith("SATCHEL_NODE=").contains("; Secure"));
    }

    @Test
    void thePlainHttpPort_redirectsToHttps() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + redirectPort + "/cart?from=mail"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(308);
        assertThat(r.headers().firstValue("location")).hasValue("https://localhost:" + port + "/cart?from=mail");
    }

    /** The shop in a real browser over HTTPS (told to accept the throwaway certificate). */
    @Test
    void theShopWorksInABrowserOverHttps() throws Exception {
        HeadlessChromium.requireInstalled(HeadlessChromium.BINARY);
        HeadlessChromium.requireInstalled(HeadlessChromium.DRIVER);
        ChromeOptions options = new ChromeOptions()
                .setBinary(HeadlessChromium.BINARY.toFile())
                .addArguments(HeadlessChromium.flags(Files.createTempDirectory("satchel-tls-chromium")))
                .addArguments("--ignore-certificate-errors");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(HeadlessChromium.DRIVER.toFile())
                .usingAnyFreePort()
                .build();
        WebDriver browser = new ChromeDriver(service, options);
        try {
            browser.get("https://localhost:" + port + "/");
            Object added = ((JavascriptExecutor) browser)
                    .executeAsyncScript("const done = arguments[arguments.length - 1];"
                            + "fetch('/api/cart/items', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                            + " body: JSON.stringify({sku: 'MAP-01', qty: 2})})"
                            + ".then(() => fetch('/api/cart')).then(r => r.json())"
                            + ".then(c => done(JSON.stringify(c))).catch(e => done('failed ' + e));");
            // The second request carried the Secure session cookie back: the cart is the same.
            assertThat(added.toString()).contains("MAP-01").contains("2");
        } finally {
            browser.quit();
        }
    }

    private X509Certificate presentedCertificate() throws Exception {
        X509Certificate[] seen = new X509Certificate[1];
        TrustManager recordAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen[0] = chain[0];
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {recordAll}, null);
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
        }
        return seen[0];
    }

    private static SSLContext trusting(X509Certificate certificate) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("demo", certificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    /** Six free ports in a row below the kernel's ephemeral range. */
    private static int freeRun() {
        int start = 24000 + (int) (ProcessHandle.current().pid() % 4000);
        for (int base = start; base < 32000; base += 11) {
            boolean free = true;
            for (int p = base; p < base + 6 && free; p++) {
                try (ServerSocket s = new ServerSocket(p)) {
                    free = true;
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no free ports from " + start);
    }
}
