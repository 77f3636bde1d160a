package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.Await;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jgroups.util.Rsp;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One node's answer links against one answer port, without JGroups: an answer reaches the save it
 * is numbered for, an answer to a save that never left is skipped by the next save on the link, a
 * link whose answer did not come in time is closed, a refusal arrives as one, a link whose other end
 * closed reports the peer as suspected, and a closed port leaves every answer to JGroups.
 */
class AnswerLinksTest {
    private final UUID self = UUID.randomUUID();
    private final UUID peer = UUID.randomUUID();
    private final AnswerLinkServer server;
    private final AnswerLinks links;

    AnswerLinksTest() throws IOException {
        server = new AnswerLinkServer(InetAddress.getLoopbackAddress(), 0, Optional.empty(), () -> List.of(self));
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
    void anAnswerToASaveThatNeverLeft_isSkippedByTheNextSaveOnTheLink() throws IOException {
        AnswerLinks.Link link = borrowed();
        long[] first = linkAndSave(link.wrap(new byte[] {1, 9}));
        assertThat(first[1]).as("the first save's number").isEqualTo(1);
        link.release(); // its send failed, as far as this node knows; yet it may have left
        server.answer(self, first[0], 1, (byte) 3);

        List<AnswerLinks.Link> others = new ArrayList<>();
        AnswerLinks.Link again = borrowed();
        while (linkAndSave(again.wrap(new byte[] {1, 9}))[0] != first[0]) {
            others.add(again); // another link the pool opened meanwhile
            again = borrowed();
        }
        others.forEach(AnswerLinks.Link::release);
        long[] second = linkAndSave(again.wrap(new byte[] {1, 9}));
        assertThat(second[0]).isEqualTo(first[0]);
        server.answer(self, second[0], second[1], (byte) 4);
        Rsp<Object> rsp = new Rsp<>();
        again.readAnswer(rsp, System.nanoTime() + Duration.ofSeconds(2).toNanos());
        assertThat(rsp.wasReceived()).isTrue();
        assertThat(rsp.getValue())
                .as("the last save's own answer, not the first's")
                .isEqualTo((byte) 4);
        assertThat(links.answered()).isEqualTo(1);
    }

    @Test
    void aLinkWhoseAnswerDidNotComeInTime_isClosed_notGivenBack() throws IOException {
        AnswerLinks.Link link = borrowed();
        link.wrap(new byte[] {1});
        Rsp<Object> late = new Rsp<>();
        link.readAnswer(late, System.nanoTime() + Duration.ofMillis(200).toNanos());
        assertThat(late.wasReceived()).as("no answer within the wait").isFalse();
        assertThat(late.wasSuspected())
                .as("a peer still in the view is not suspected")
                .isFalse();
        assertThat(link.isClosed())
                .as("a link that may have stopped mid-answer")
                .isTrue();
        for (int i = 0; i < 5; i++) {
            AnswerLinks.Link next = borrowed();
            assertThat(next).as("the pool never hands out the closed link").isNotSameAs(link);
        }
    }

    @Test
    void aRefusal_arrivesAsAnException_withItsReason() throws IOException {
        AnswerLinks.Link link = borrowed();
        long[] save = linkAndSave(link.wrap(new byte[] {1}));
        server.answer(self, save[0], save[1], new IOException("not in the view of a majority: #4 a is not in view"));
        Rsp<Object> rsp = new Rsp<>();
        link.readAnswer(rsp, System.nanoTime() + Duration.ofSeconds(2).toNanos());
        assertThat(rsp.hasException()).isTrue();
        assertThat(rsp.getException()).hasMessageContaining("not in the view of a majority");
    }

    @Test
    void aLinkWhoseOtherEndClosed_reportsThePeerAsSuspected() throws IOException {
        AnswerLinks.Link link = borrowed();
        link.wrap(new byte[] {1});
        server.close();
        Rsp<Object> rsp = new Rsp<>();
        link.readAnswer(rsp, System.nanoTime() + Duration.ofSeconds(2).toNanos());
        assertThat(rsp.wasReceived()).isFalse();
        assertThat(rsp.wasSuspected()).isTrue();
    }

    @Test
    void aPeerWhoseAnswerPortIsClosed_answersThroughJGroups() throws Exception {
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

    /** The link and the save's number that a wrapped request names. */
    private static long[] linkAndSave(byte[] wrapped) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(wrapped));
        assertThat(in.readByte()).isEqualTo(AnswerLinkServer.LINKED);
        return new long[] {in.readLong(), in.readLong()};
    }
}
