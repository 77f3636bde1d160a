package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.Await;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jgroups.util.Rsp;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One node's links against one link port, without JGroups: a save reaches the port's handler with
 * its sender's id and its bytes, and its answer the save it is numbered for; an answer to a save
 * that stopped waiting is skipped by the next save on the link; a link whose answer did not come in
 * time is reset; a refusal arrives as one; a link whose other end closed reports the peer as
 * suspected; a save larger than the port takes ends its link; a closed port leaves every save to
 * JGroups.
 */
class AnswerLinksTest {
    private final UUID self = UUID.randomUUID();
    private final UUID peer = UUID.randomUUID();
    /** What the port's handler does with a save: by default, answers with the save's last byte. */
    private final AtomicReference<AnswerLinkServer.Requests> handler =
            new AtomicReference<>((msb, lsb, request) -> request[request.length - 1]);

    private final AnswerLinkServer server;
    private final AnswerLinks links;

    AnswerLinksTest() throws IOException {
        server = new AnswerLinkServer(
                InetAddress.getLoopbackAddress(),
                0,
                Optional.empty(),
                () -> List.of(self),
                (msb, lsb, request) -> handler.get().handle(msb, lsb, request));
        links = new AnswerLinks(
                self,
                p -> Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port())),
                p -> true,
                Optional.empty(),
                Duration.ofSeconds(2));
    }

    @AfterEach
    void close() {
        links.close();
        server.close();
    }

    @Test
    void aSave_reachesTheHandlerWithItsSenderAndBytes_andItsAnswerComesBack() throws IOException {
        AtomicReference<long[]> sender = new AtomicReference<>();
        AtomicReference<byte[]> seen = new AtomicReference<>();
        handler.set((msb, lsb, request) -> {
            sender.set(new long[] {msb, lsb});
            seen.set(request);
            return (byte) 7;
        });
        AnswerLinks.Link link = borrowed();
        link.send(new byte[] {1, 2, 3}, soon());
        Rsp<Object> rsp = answerOf(link, Duration.ofSeconds(2));
        assertThat(rsp.wasReceived()).isTrue();
        assertThat(rsp.getValue()).isEqualTo((byte) 7);
        assertThat(seen.get()).containsExactly(1, 2, 3);
        assertThat(sender.get()).containsExactly(self.getMostSignificantBits(), self.getLeastSignificantBits());
        assertThat(links.answered()).isEqualTo(1);
    }

    @Test
    void anAnswerToASaveThatStoppedWaiting_isSkippedByTheNextSaveOnTheLink() throws IOException {
        AnswerLinks.Link link = borrowed();
        link.send(new byte[] {1, 3}, soon());
        link.release(); // its save failed elsewhere, as far as this node knows; its answer still comes
        List<AnswerLinks.Link> others = new ArrayList<>();
        AnswerLinks.Link again = borrowed();
        while (again != link) {
            others.add(again); // another link the pool opened meanwhile
            again = borrowed();
        }
        others.forEach(AnswerLinks.Link::release);
        again.send(new byte[] {1, 4}, soon());
        Rsp<Object> rsp = answerOf(again, Duration.ofSeconds(2));
        assertThat(rsp.wasReceived()).isTrue();
        assertThat(rsp.getValue())
                .as("the last save's own answer, not the first's")
                .isEqualTo((byte) 4);
        assertThat(links.answered()).isEqualTo(1);
    }

    @Test
    void aLinkWhoseAnswerDidNotComeInTime_isReset_notGivenBack() throws Exception {
        CountDownLatch slow = new CountDownLatch(1);
        handler.set((msb, lsb, request) -> {
            try {
                slow.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return (byte) 1;
        });
        AnswerLinks.Link link = borrowed();
        link.send(new byte[] {1}, soon());
        Rsp<Object> late = answerOf(link, Duration.ofMillis(200));
        slow.countDown();
        assertThat(late.wasReceived()).as("no answer within the wait").isFalse();
        assertThat(late.wasSuspected())
                .as("a peer still in the view is not suspected")
                .isFalse();
        assertThat(link.isClosed())
                .as("a link that may have stopped mid-answer")
                .isTrue();
        for (int i = 0; i < 5; i++) {
            AnswerLinks.Link next = borrowed();
            assertThat(next).as("the pool never hands out the reset link").isNotSameAs(link);
        }
    }

    @Test
    void aRefusal_arrivesAsAnException_withItsReason() throws IOException {
        handler.set((msb, lsb, request) -> new IOException("not in the view of a majority: #4 a is not in view"));
        AnswerLinks.Link link = borrowed();
        link.send(new byte[] {1}, soon());
        Rsp<Object> rsp = answerOf(link, Duration.ofSeconds(2));
        assertThat(rsp.hasException()).isTrue();
        assertThat(rsp.getException()).hasMessageContaining("not in the view of a majority");
    }

    @Test
    void aLinkWhoseOtherEndClosed_reportsThePeerAsSuspected() throws IOException {
        CountDownLatch never = new CountDownLatch(1);
        handler.set((msb, lsb, request) -> {
            try {
                never.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        AnswerLinks.Link link = borrowed();
        link.send(new byte[] {1}, soon());
        server.close();
        Rsp<Object> rsp = answerOf(link, Duration.ofSeconds(2));
        never.countDown();
        assertThat(rsp.wasReceived()).isFalse();
        assertThat(rsp.wasSuspected()).isTrue();
    }

    @Test
    void aSaveLargerThanThePortTakes_endsItsLink_withoutReachingTheHandler() throws IOException {
        AtomicReference<byte[]> seen = new AtomicReference<>();
        handler.set((msb, lsb, request) -> {
            seen.set(request);
            return null;
        });
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(AnswerLinkServer.MAGIC);
            out.writeLong(self.getMostSignificantBits());
            out.writeLong(self.getLeastSignificantBits());
            out.writeLong(42);
            out.flush();
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read()).isEqualTo(AnswerLinkServer.REGISTERED);
            out.writeLong(1);
            out.writeInt(AnswerLinkServer.MAX_SAVE + 1);
            out.write(new byte[1024]);
            out.flush();
            assertThat(s.getInputStream().read()).as("the link ended").isEqualTo(-1);
        }
        assertThat(seen.get()).isNull();
    }

    @Test
    void aPeerWhoseLinkPortIsClosed_getsItsSavesThroughJGroups() throws Exception {
        server.close();
        for (int i = 0; i < 20; i++) {
            assertThat(links.borrow(peer)).as("no link to a closed port").isEmpty();
            Thread.sleep(10); // the background opener's attempt
        }
    }

    /** A link from the pool, once the background opener has one ready. */
    private AnswerLinks.Link borrowed() {
        return Await.until(Duration.ofSeconds(5), () -> links.borrow(peer), Optional::isPresent, "an idle link")
                .orElseThrow();
    }

    private static long soon() {
        return System.nanoTime() + Duration.ofSeconds(2).toNanos();
    }

    private static Rsp<Object> answerOf(AnswerLinks.Link link, Duration wait) {
        Rsp<Object> rsp = new Rsp<>();
        link.readAnswer(rsp, System.nanoTime() + wait.toNanos());
        return rsp;
    }
}
