package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CommandLineTest {

    private static String run(int expectedExit, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = SatchelCommand.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(expectedExit);
        return out + "\n" + err;
    }

    @Test
    void help_answersForEveryCommand() {
        for (String command : new String[] {"demo", "node", "balancer"}) {
            assertThat(run(0, command, "--help")).contains("Usage: satchel " + command);
        }
        assertThat(run(0, "--help")).contains("demo", "node", "balancer");
    }

    @Test
    void version_answersOnEveryCommand() {
        for (String command : new String[] {"demo", "node", "balancer"}) {
            assertThat(run(0, command, "-V")).as(command).contains("satchel ", "Java ");
        }
    }

    @Test
    void demoHelp_statesTheDefaultsTheDemoReallyUses_once_inPlainText() {
        String help = run(0, "demo", "--help");
        String flat = help.replaceAll("\\s+", " ");
        assertThat(flat)
                .contains("Default: primary-backup")
                .contains("default: session-hash with the primary-backup stores")
                .doesNotContain("default: sticky-cookie")
                .doesNotContain("memory (default");
        assertThat(flat.split("Default: primary-backup", -1)).hasSize(2);
        assertThat(help).doesNotContain("\u001b[");
        assertThat(run(0, "balancer", "--help").replaceAll("\\s+", " ")).contains("(default: sticky-cookie)");
        assertThat(run(0, "node", "--help").replaceAll("\\s+", " ")).contains("Default: memory.");
    }

    @Test
    void nodeIdleTimeout_isRefusedOutsideItsRangeBeforeAnythingStarts() {
        assertThat(run(0, "node", "--help").replaceAll("\\s+", " "))
                .contains("--idle-timeout=SECONDS", "(default: 1800, 30 minutes)");
        assertThat(run(2, "node", "--idle-timeout", "0")).contains("--idle-timeout must be 1 to 28800 seconds, not 0");
        assertThat(run(2, "node", "--idle-timeout", "28801")).contains("not 28801");
        assertThat(run(2, "node", "--idle-timeout", "soon")).contains("'soon' is not a long");
    }

    @Test
    void labNodeCounts_areRefusedByName_beforeAnyClusterStarts() throws Exception {
        String out = java.nio.file.Files.createTempDirectory("satchel-lab-args").toString();
        assertThat(run(2, "lab", "--out", out, "--nodes", "2,3,2")).contains("--nodes takes up to 6 different sizes");
        assertThat(run(2, "lab", "--out", out, "--nodes", "1")).contains("--nodes must be 2 to 8, got 1");
        assertThat(run(2, "lab", "--out", out, "--nodes", "3,9")).contains("--nodes must be 2 to 8, got 9");
        assertThat(run(2, "lab", "--out", out, "--nodes", "2,x")).contains("'x' is not an int");
        assertThat(run(2, "lab", "--out", out, "--logins", "101")).contains("--logins must be 0 to 100, got 101");
        assertThat(run(0, "lab", "--help").replaceAll("\\s+", " ")).contains("--logins=PERCENT", "Argon2 hash");
        assertThat(run(2, "lab", "--out", out, "--loss", "60")).contains("--loss must be 0 to 50 percent, got 60.0");
        assertThat(run(2, "lab", "--out", out, "--loss", "NaN")).contains("--loss must be 0 to 50 percent");
        assertThat(run(2, "lab", "--out", out, "--loss", "5", "--network", "loopback"))
                .contains("--loss drops packets as they enter a node's own network namespace");
        assertThat(run(2, "lab", "--out", out, "--soak", "61")).contains("--soak must be 2 to 60 minutes, got 61");
        assertThat(run(2, "lab", "--out", out, "--soak", "5", "--seconds", "60"))
                .contains("leave out --seconds");
        assertThat(run(2, "lab", "--out", out, "--soak", "--fault", "kill")).contains("leave out --fault kill");
        assertThat(run(2, "lab", "--out", out, "--soak", "3")).contains("too short to judge expiry", "--soak 6");
        assertThat(run(2, "lab", "--out", out, "--idle-timeout", "20"))
                .contains("--idle-timeout must be --return-after plus 10 s (25)");
        assertThat(run(2, "lab", "--out", out, "--return-after", "1800"))
                .contains("the nodes' idle timeout (1800 s unless --idle-timeout is given) must be");
        assertThat(run(2, "lab", "--out", out, "--soak", "--fault-at", "5")).contains("leave out --fault-at");
        assertThat(run(2, "lab", "--out", out, "--loss", "2", "--delay", "0,10"))
                .contains("--loss with --delay");
        assertThat(run(
                        2,
                        "lab",
                        "--out",
                        out,
                        "--strategies",
                        "sql",
                        "--fault",
                        "kill-store",
                        "--sql-url",
                        "jdbc:h2:mem:x"))
                .contains("not one --sql-url names");
        assertThat(run(0, "lab", "--help").replaceAll("\\s+", " "))
                .contains("--soak[=MINUTES]", "Memory must stay flat", "--idle-timeout=SECONDS");
        assertThat(run(0, "lab", "--help").replaceAll("\\s+", " ")).contains("--nodes=N[,N...]", "scaling run");
    }

    @Test
    void demoRedisMaxMemory_isRefusedBeforeAnythingStarts_unlessRedisReadsIt() {
        String refused = run(2, "demo", "--store", "redis", "--redis-maxmemory", "lots");
        assertThat(refused).contains("--redis-maxmemory must be a size such as 128mb");
        assertThat(run(2, "demo", "--redis-maxmemory", "512kb")).contains("at least 1mb");
        assertThat(run(0, "demo", "--help").replaceAll("\\s+", " "))
                .contains("--redis-maxmemory", "volatile-ttl", "(default: 128mb)");
    }

    @Test
    void demoPolicy_isStillBoundAfterItsHelpIsRewritten() {
        CommandLine cl = SatchelCommand.commandLine();
        cl.parseArgs("demo", "--policy", "round-robin");
        DemoCommand demo = cl.getSubcommands().get("demo").getCommand();
        assertThat(demo.balancer.policy).isEqualTo("round-robin");
        assertThat(cl.getSubcommands().get("demo").getParseResult().hasMatchedOption("--policy"))
                .isTrue();
    }

    @Test
    void nodeHelp_saysWhichFlagsEachStoreUsesAndWhichPortsToOpen() {
        assertThat(run(0, "node", "--help"))
                .contains("primary-backup, primary-backup-async) also use --cluster-port and")
                .contains("--cluster-port + 100 for failure detection")
                .contains("--cluster-port + 200 for synchronous saves on links, with")
                .contains("--users-db-port")
                .contains("shared file system");
    }

    @Test
    void clusterAnnounce_isRefusedUnlessAHostAndAPortPeersCanReach() {
        assertThat(run(0, "node", "--help")).contains("--cluster-announce=HOST:PORT");
        for (String bad : new String[] {"7800", "host", "host:", ":7800", "host:0", "host:65436", "host:x"}) {
            assertThat(run(2, "node", "--store", "primary-backup", "--cluster-announce", bad))
                    .as(bad)
                    .contains("--cluster-announce takes HOST:PORT", "'" + bad + "'");
        }
        assertThat(run(2, "node", "--store", "primary-backup", "--cluster-announce", "0.0.0.0:7800"))
                .contains("cannot be reached by peers");
    }

    @Test
    void nodeJavaOptions_comeFromTheEnvironment_splitOnWhiteSpace() {
        assertThat(ClusterSupervisor.nodeJavaOptions(java.util.Map.of())).isEmpty();
        assertThat(ClusterSupervisor.nodeJavaOptions(java.util.Map.of("SATCHEL_NODE_JAVA_OPTS", "  ")))
                .isEmpty();
        assertThat(ClusterSupervisor.nodeJavaOptions(
                        java.util.Map.of("SATCHEL_NODE_JAVA_OPTS", " -Xmx1g \t-XX:TieredStopAtLevel=1 ")))
                .containsExactly("-Xmx1g", "-XX:TieredStopAtLevel=1");
        assertThat(run(0, "demo", "--help")).contains("SATCHEL_NODE_JAVA_OPTS");
    }

    @Test
    void aClusterNode_mustBeToldTlsOrPlaintext() throws Exception {
        assertThat(run(2, "node", "--store", "primary-backup"))
                .contains("sends sessions between the nodes: give --cluster-keystore FILE")
                .contains("--cluster-plaintext");
        assertThat(run(2, "node", "--store", "replicated", "--cluster-plaintext", "--cluster-keystore", "k.p12"))
                .contains("not both");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("satchel-keystore");
        java.nio.file.Path keystore = dir.resolve("cluster.p12");
        assertThat(run(0, "cluster-keystore", keystore.toString()))
                .contains("Wrote " + keystore)
                .contains("export " + NodeCommand.KEYSTORE_PASSWORD_VARIABLE + "=");
        assertThat(java.nio.file.Files.getPosixFilePermissions(keystore))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(run(2, "cluster-keystore", keystore.toString())).contains("exists already");
        assertThat(run(
                        2,
                        "cluster-keystore",
                        "--days",
                        "0",
                        dir.resolve("x.p12").toString()))
                .contains("--days must be 1 to 3650");
        if (System.getenv(NodeCommand.KEYSTORE_PASSWORD_VARIABLE) == null) {
            assertThat(run(2, "node", "--store", "primary-backup", "--cluster-keystore", keystore.toString()))
                    .contains(
                            "needs its password in the environment variable " + NodeCommand.KEYSTORE_PASSWORD_VARIABLE);
        }
        assertThat(run(0, "node", "--help")).contains("--cluster-keystore=FILE", "--cluster-plaintext");
        assertThat(run(0, "--help")).contains("cluster-keystore");
    }

    @Test
    void aClusterNodeOnEveryAddress_isRefused() {
        // Peers would be told 0.0.0.0 as this node's address.
        assertThat(run(2, "node", "--store", "primary-backup", "--host", "0.0.0.0"))
                .contains("cannot be announced to peers");
    }

    @Test
    void badArguments_areRefusedWithAReason() {
        assertThat(run(2, "demo", "--store", "floppy")).contains("unknown --store 'floppy'");
        assertThat(run(2, "node", "--store", "redis")).contains("only in satchel demo");
        assertThat(run(2, "demo", "--store", "floppy-disk")).contains("unknown --store");
        assertThat(run(2, "node", "--store", "cookie", "--data-dir", "target/cli-cookie"))
                .contains("no cookie keyset configured")
                .contains("SATCHEL_COOKIE_KEYSET");
        assertThat(run(2, "node", "--store", "jdbc:oracle:thin:@x")).contains("unsupported JDBC URL");
        assertThat(run(2, "demo", "--nodes", "0")).contains("--nodes must be 1 to 16");
        assertThat(run(2, "balancer", "--node", "nonsense", "--export", "nginx"))
                .contains("expected name=host:port");
        assertThat(run(2, "balancer", "--node", "a=h:1", "--policy", "random", "--export", "nginx"))
                .contains("unknown policy 'random'");
        assertThat(run(2, "balancer", "--node", "a=h:1", "--export", "caddy"))
                .contains("unknown export format 'caddy'");
        assertThat(run(2, "balancer", "--node", "a=h:1", "--node", "a=h:2", "--export", "nginx"))
                .contains("two nodes are named a");
    }

    @Test
    void tlsOptions_thatCannotWork_areRefusedBeforeAnythingStarts() throws Exception {
        java.nio.file.Path missing = java.nio.file.Path.of("target", "no-such-cert.pem");
        assertThat(run(2, "balancer", "--node", "a=h:1", "--tls-cert", missing.toString()))
                .contains("--tls-cert and --tls-key go together");
        assertThat(run(2, "balancer", "--node", "a=h:1", "--tls-cert", missing.toString(), "--tls-key", "k.pem"))
                .contains("cannot read the TLS certificate");
        assertThat(run(2, "balancer", "--node", "a=h:1", "--http-redirect-port", "8081"))
                .contains("an HTTP-to-HTTPS redirect needs TLS");
        String demo = run(2, "demo", "--tls", "--tls-cert", missing.toString(), "--tls-key", "k.pem");
        assertThat(demo)
                .contains("give --tls or --tls-cert and --tls-key, not both")
                .doesNotContain("Exception");
        java.nio.file.Path notPem = java.nio.file.Files.createTempFile("satchel-not-pem", ".pem");
        assertThat(run(2, "demo", "--tls-cert", notPem.toString(), "--tls-key", notPem.toString()))
                .contains("holds no certificate")
                .doesNotContain("Starting");
    }

    @Test
    void anUnreachableStore_isReportedInOneLine_notAsAMistakenCommand() {
        // The command was right; the server was not there. Exit 1 and one line, not the usage.
        String sql = run(1, "node", "--store", "jdbc:postgresql://127.0.0.1:1/x");
        assertThat(sql).contains("satchel: cannot open the SQL store", "cannot connect to the session database");
        assertThat(sql).doesNotContain("Usage:");
        String redis = run(1, "node", "--store", "redis://127.0.0.1:1");
        assertThat(redis).contains("satchel: cannot open the Redis store", "cannot connect to Redis");
        assertThat(redis).doesNotContain("Usage:");
        assertThat(run(1, "demo", "--store", "redis://127.0.0.1:1")).doesNotContain("Usage:");
        String mongo = run(1, "node", "--store", "mongodb://app:hunter2@127.0.0.1:1/shop");
        assertThat(mongo)
                .contains("satchel: cannot open the MongoDB store", "no server answered at 127.0.0.1:1")
                .doesNotContain("Usage:", "hunter2");
        assertThat(run(2, "node", "--store", "mongodb://")).contains("not a MongoDB connection string");
    }

    @Test
    void aFileStore_thatCannotBeUsed_orIsMisspelt_saysWhy() throws Exception {
        assertThat(run(2, "node", "--store", "file:")).contains("--store file:DIR needs a folder");
        assertThat(run(2, "node", "--store", "file:/tmp/x?sync=sometimes")).contains("?sync=always", "?sync=never");
        java.nio.file.Path notAFolder = java.nio.file.Files.createTempFile("satchel-not-a-folder", ".txt");
        String refused = run(1, "node", "--store", "file:" + notAFolder);
        assertThat(refused).contains("satchel: cannot open the file store").doesNotContain("Usage:", "Exception");
    }

    @Test
    void export_printsPeerConfigurations() {
        String haproxy = run(
                0,
                "balancer",
                "--node",
                "node-1=127.0.0.1:9001",
                "--node",
                "node-2=127.0.0.1:9002",
                "--export",
                "haproxy");
        assertThat(haproxy)
                .contains("cookie SATCHEL_NODE insert", "server node-2 127.0.0.1:9002 check", "cookie node-2");
        String nginx =
                run(0, "balancer", "--node", "node-1=127.0.0.1:9001", "--policy", "ip-hash", "--export", "nginx");
        assertThat(nginx).contains("hash $remote_addr consistent;", "server 127.0.0.1:9001");
    }
}
