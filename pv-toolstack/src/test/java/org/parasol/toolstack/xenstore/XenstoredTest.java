package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.abi.XsWire;

/** xenstored's semantics, request by request, as docs/misc/xenstore.txt states them. */
class XenstoredTest {
    private XsStore store;
    private Xenstored xsd;
    private final List<String> introduced = new ArrayList<>();

    /** A client: its connection and the watch events it got. */
    final class Client {
        final XsConnection conn;
        final List<String> events = new ArrayList<>();
        int reqId;

        Client(int domid, boolean privileged) {
            conn = new XsConnection(domid, privileged, e -> {
                events.add(e.text().replace('\0', '|'));
                connDelivered();
            });
            store.connect(conn);
        }

        private void connDelivered() {
            // the test reads events at once
        }

        /** Sends a request; returns the reply's text with NULs as '|', or "ERR:<name>". */
        String call(int type, int txId, String payload) {
            XsMessage reply = xsd.handle(conn, XsMessage.of(type, ++reqId, txId, payload));
            assertThat(reply.reqId()).isEqualTo(reqId);
            if (reply.type() == XsWire.XS_ERROR) {
                return "ERR:" + reply.text().replace("\0", "");
            }
            assertThat(reply.type()).isEqualTo(type);
            return reply.text().replace('\0', '|');
        }

        String read(String path) {
            return call(XsWire.XS_READ, 0, path + "\0");
        }

        String write(String path, String value) {
            return call(XsWire.XS_WRITE, 0, path + "\0" + value);
        }

        String ls(String path) {
            return call(XsWire.XS_DIRECTORY, 0, path + "\0");
        }

        String rm(String path) {
            return call(XsWire.XS_RM, 0, path + "\0");
        }

        String setPerms(String path, String... perms) {
            return call(XsWire.XS_SET_PERMS, 0, path + "\0" + String.join("\0", perms) + "\0");
        }

        String watch(String path, String token) {
            return call(XsWire.XS_WATCH, 0, path + "\0" + token + "\0");
        }

        int start() {
            return Integer.parseInt(call(XsWire.XS_TRANSACTION_START, 0, "\0").replace("|", ""));
        }
    }

    private Client dom0;

    @BeforeEach
    void boot() {
        store = new XsStore(new XsQuota(8, 3, 2, 16, 64, 3, 100));
        xsd = new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
                introduced.add(domid + "/" + gfn + "/" + evtchn);
            }

            @Override
            public void release(int domid) {
                introduced.add("released " + domid);
            }
        });
        dom0 = new Client(0, true);
    }

    /** A domain home as the toolstack makes it: owned by dom0, readable by the domain; data/ writable. */
    private Client domU(int domid) {
        String home = "/local/domain/" + domid;
        assertThat(dom0.write(home, "")).isEqualTo("OK|");
        assertThat(dom0.setPerms(home, "n0", "r" + domid)).isEqualTo("OK|");
        assertThat(dom0.write(home + "/data", "")).isEqualTo("OK|");
        assertThat(dom0.setPerms(home + "/data", "n" + domid)).isEqualTo("OK|"); // owned by it, closed to others (as libxl sets data/)
        return new Client(domid, false);
    }

    @Test
    @DisplayName("XS_WRITE creates missing parents with empty values; XS_READ and XS_DIRECTORY see them")
    void shouldCreateParentsOnWrite() {
        assertThat(dom0.write("/a/b/c", "v")).isEqualTo("OK|");

        assertThat(dom0.read("/a/b/c")).isEqualTo("v");
        assertThat(dom0.read("/a/b")).isEmpty();
        assertThat(dom0.ls("/a")).isEqualTo("b|");
        assertThat(dom0.ls("/a/b/c")).isEmpty();
        assertThat(dom0.read("/a/x")).isEqualTo("ERR:ENOENT");
    }

    @Test
    @DisplayName("an XS_WRITE's value is bytes after the path's NUL, kept whole: NULs inside it and a value of the "
            + "largest payload are stored as sent")
    void shouldKeepAWritesValueAsBytes() {
        assertThat(dom0.write("/v/nuls", "a\0b\0\0c")).isEqualTo("OK|");
        String big = "x".repeat(XsWire.XENSTORE_PAYLOAD_MAX - "/v/big\0".length());
        assertThat(dom0.write("/v/big", big)).isEqualTo("OK|");

        assertThat(dom0.read("/v/nuls")).isEqualTo("a|b||c");
        assertThat(dom0.read("/v/big")).isEqualTo(big);
    }

    @Test
    @DisplayName("XS_RM is recursive; a missing node is fine under an existing parent, ENOENT without one; the root stays")
    void shouldRemoveSubtrees() {
        dom0.write("/a/b/c", "v");

        assertThat(dom0.rm("/a/b")).isEqualTo("OK|");
        assertThat(dom0.read("/a/b/c")).isEqualTo("ERR:ENOENT");
        assertThat(dom0.rm("/a/b")).isEqualTo("OK|");
        assertThat(dom0.rm("/a/nothing/below")).isEqualTo("ERR:ENOENT");
        assertThat(dom0.rm("/")).isEqualTo("ERR:EINVAL");
    }

    @Test
    @DisplayName("the permissions matrix: a domU reads its home, writes only where granted, never touches another domain's nodes; dom0 can")
    void shouldEnforceThePermissionsMatrix() {
        Client d1 = domU(1);
        Client d2 = domU(2);
        dom0.write("/local/domain/1/name", "one");

        assertThat(d1.read("name")).as("relative to its home").isEqualTo("one");
        assertThat(d1.write("name", "x")).as("home is read-only to it").isEqualTo("ERR:EACCES");
        assertThat(d1.write("data/k", "v")).isEqualTo("OK|");
        assertThat(d2.read("/local/domain/1/name")).isEqualTo("ERR:EACCES");
        assertThat(d2.read("/local/domain/1/data/k")).isEqualTo("ERR:EACCES");
        assertThat(d2.write("/local/domain/1/data/k", "x")).isEqualTo("ERR:EACCES");
        assertThat(d2.rm("/local/domain/1/data/k")).isEqualTo("ERR:EACCES");
        assertThat(dom0.read("/local/domain/1/data/k")).isEqualTo("v");
        assertThat(dom0.write("/local/domain/1/data/k", "w")).isEqualTo("OK|");
    }

    @Test
    @DisplayName("a new node inherits its parent's permissions and its unprivileged creator owns it; only dom0 gives nodes away")
    void shouldInheritPermissionsAndSetTheOwner() {
        Client d1 = domU(1);
        d1.write("data/mine", "v");

        assertThat(dom0.call(XsWire.XS_GET_PERMS, 0, "/local/domain/1/data/mine\0")).isEqualTo("n1|");
        assertThat(d1.setPerms("data/mine", "n1", "r2")).isEqualTo("OK|");
        assertThat(d1.setPerms("data/mine", "n2")).as("giving it away").isEqualTo("ERR:EPERM");
        assertThat(d1.setPerms("/local/domain/1/name", "b1")).isIn("ERR:EACCES", "ERR:ENOENT");
        assertThat(dom0.setPerms("/local/domain/1/data/mine", "n2")).isEqualTo("OK|");
        assertThat(d1.setPerms("data/mine", "b1")).as("no longer its own").isEqualTo("ERR:EACCES");
    }

    @Test
    @DisplayName("XS_WATCH fires once at once, then for changes at or below the path, relative when the watch was; RM of an ancestor reports the watched path")
    void shouldFireWatches() {
        Client d1 = domU(1);
        assertThat(d1.watch("data", "tok")).isEqualTo("OK|");
        assertThat(d1.events).containsExactly("data|tok|");

        d1.write("data/a/b", "v");
        assertThat(d1.events).contains("data/a|tok|", "data/a/b|tok|");
        d1.events.clear();
        d1.watch("data/a/b", "deep");
        d1.events.clear();
        d1.rm("data/a");
        assertThat(d1.events).containsExactlyInAnyOrder("data/a|tok|", "data/a/b|deep|");
        assertThat(d1.watch("data", "tok")).isEqualTo("ERR:EEXIST");
        assertThat(d1.call(XsWire.XS_UNWATCH, 0, "data\0tok\0")).isEqualTo("OK|");
        assertThat(d1.call(XsWire.XS_UNWATCH, 0, "data\0tok\0")).isEqualTo("ERR:ENOENT");
    }

    @Test
    @DisplayName("a watch fires only for nodes its domain may read; @releaseDomain only for dom0")
    void shouldNotLeakChangesThroughWatches() {
        Client d1 = domU(1);
        domU(2);
        d1.watch("/local/domain/2", "spy");
        d1.events.clear();

        dom0.write("/local/domain/2/data/secret", "x");
        assertThat(d1.events).isEmpty();
        assertThat(d1.watch("@releaseDomain", "t")).isEqualTo("ERR:EACCES");
        assertThat(dom0.watch("@releaseDomain", "t")).isEqualTo("OK|");
    }

    @Test
    @DisplayName("transactions: reads see their own writes, commit applies atomically and fires watches then, a conflict is EAGAIN and changes nothing")
    void shouldCommitOrRefuseTransactions() {
        Client d1 = domU(1);
        d1.write("data/x", "0");
        dom0.watch("/local/domain/1/data/y", "w");
        dom0.events.clear();

        int t = d1.start();
        assertThat(d1.call(XsWire.XS_WRITE, t, "data/y\0" + "1")).isEqualTo("OK|");
        assertThat(d1.call(XsWire.XS_READ, t, "data/y\0")).isEqualTo("1");
        assertThat(d1.read("data/y")).as("outside the transaction").isEqualTo("ERR:ENOENT");
        assertThat(dom0.events).as("nothing fires before the commit").isEmpty();
        assertThat(d1.call(XsWire.XS_TRANSACTION_END, t, "T\0")).isEqualTo("OK|");
        assertThat(d1.read("data/y")).isEqualTo("1");
        assertThat(dom0.events).containsExactly("/local/domain/1/data/y|w|");

        int u = d1.start();
        assertThat(d1.call(XsWire.XS_READ, u, "data/x\0")).isEqualTo("0");
        d1.call(XsWire.XS_WRITE, u, "data/z\0" + "from-x=0");
        dom0.write("/local/domain/1/data/x", "changed");
        assertThat(d1.call(XsWire.XS_TRANSACTION_END, u, "T\0")).isEqualTo("ERR:EAGAIN");
        assertThat(d1.read("data/z")).isEqualTo("ERR:ENOENT");
        assertThat(d1.call(XsWire.XS_READ, u, "data/x\0")).as("the id is gone").isEqualTo("ERR:ENOENT");

        int v = d1.start();
        d1.call(XsWire.XS_WRITE, v, "data/w\0" + "1");
        assertThat(d1.call(XsWire.XS_TRANSACTION_END, v, "F\0")).isEqualTo("OK|");
        assertThat(d1.read("data/w")).isEqualTo("ERR:ENOENT");
    }

    @Test
    @DisplayName("quotas: nodes and node size are ENOSPC, watches E2BIG, transactions ENOSPC, permission entries ENOSPC; dom0 is exempt")
    void shouldEnforceQuotas() {
        Client d1 = domU(1);
        for (int i = 0; i < 7; i++) { // data/ itself is the eighth node it owns
            assertThat(d1.write("data/n" + i, "")).isEqualTo("OK|");
        }
        assertThat(store.nodesOwnedBy(1)).isEqualTo(8);
        assertThat(d1.write("data/n7", "")).isEqualTo("ERR:ENOSPC");
        assertThat(d1.write("data/n0", "x".repeat(100))).isEqualTo("ERR:ENOSPC");
        for (int i = 0; i < 3; i++) {
            assertThat(d1.watch("data/n" + i, "t")).isEqualTo("OK|");
        }
        assertThat(d1.watch("data/n3", "t")).isEqualTo("ERR:E2BIG");
        d1.start();
        d1.start();
        assertThat(d1.call(XsWire.XS_TRANSACTION_START, 0, "\0")).isEqualTo("ERR:ENOSPC");
        assertThat(d1.setPerms("data/n0", "b1", "r2", "r3", "r4")).isEqualTo("ERR:ENOSPC");
        for (int i = 0; i < 20; i++) {
            assertThat(dom0.write("/dom0/n" + i, "y".repeat(100))).isEqualTo("OK|");
        }
    }

    @Test
    @DisplayName("hostile requests get error replies: unknown types ENOSYS, non-requests and bad paths EINVAL, dom0-only operations EACCES")
    void shouldAnswerHostileRequests() {
        Client d1 = domU(1);

        assertThat(d1.call(99, 0, "")).isEqualTo("ERR:ENOSYS");
        assertThat(d1.call(XsWire.XS_WATCH_EVENT, 0, "a\0b\0")).isEqualTo("ERR:EINVAL");
        assertThat(d1.call(XsWire.XS_INVALID, 0, "")).isEqualTo("ERR:EINVAL");
        assertThat(d1.read("")).isEqualTo("ERR:EINVAL");
        assertThat(d1.read("/a//b")).isEqualTo("ERR:EINVAL");
        assertThat(d1.read("/a/b/")).isEqualTo("ERR:EINVAL");
        assertThat(d1.read("/a b")).isEqualTo("ERR:EINVAL");
        assertThat(d1.read("/" + "x".repeat(4000))).isEqualTo("ERR:EINVAL");
        assertThat(d1.call(XsWire.XS_WRITE, 0, "no-nul")).isEqualTo("ERR:EINVAL");
        assertThat(d1.call(XsWire.XS_READ, 12345, "data\0")).isEqualTo("ERR:ENOENT");
        assertThat(d1.call(XsWire.XS_INTRODUCE, 0, "5\0" + "99\0" + "3\0")).isEqualTo("ERR:EACCES");
        assertThat(d1.call(XsWire.XS_TRANSACTION_END, 0, "T\0")).isEqualTo("ERR:ENOENT");
        assertThat(d1.call(XsWire.XS_READ, 0, "")).isEqualTo("ERR:EINVAL");
        assertThat(dom0.read("/local")).as("the store still serves").isEmpty();
    }

    @Test
    @DisplayName("XS_INTRODUCE and XS_RELEASE (dom0 only) connect and drop a domain and fire @introduceDomain and @releaseDomain")
    void shouldIntroduceAndReleaseDomains() {
        dom0.watch("@introduceDomain", "in");
        dom0.watch("@releaseDomain", "out");
        dom0.events.clear();

        assertThat(dom0.call(XsWire.XS_INTRODUCE, 0, "7\0" + "4096\0" + "3\0")).isEqualTo("OK|");
        assertThat(dom0.call(XsWire.XS_IS_DOMAIN_INTRODUCED, 0, "7\0")).isEqualTo("T|");
        assertThat(dom0.call(XsWire.XS_GET_DOMAIN_PATH, 0, "7\0")).isEqualTo("/local/domain/7|");
        assertThat(dom0.call(XsWire.XS_RELEASE, 0, "7\0")).isEqualTo("OK|");
        assertThat(dom0.call(XsWire.XS_IS_DOMAIN_INTRODUCED, 0, "7\0")).isEqualTo("F|");
        assertThat(dom0.events).containsExactly("@introduceDomain|in|", "@releaseDomain|out|");
        assertThat(introduced).containsExactly("7/4096/3", "released 7");
    }

    @Test
    @DisplayName("XS_DIRECTORY_PART: generation, then the names from an offset that fit in 4096 bytes, an empty name at "
            + "the end; a list XS_DIRECTORY refuses (E2BIG) reads whole in parts, as libxenstore's fallback reads it")
    void shouldListALongDirectoryInParts() {
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            String name = String.format("child-with-a-long-name-%03d", i);
            assertThat(dom0.write("/tool/big/" + name, "")).isEqualTo("OK|");
            expected.append(name).append('|');
        }
        assertThat(dom0.ls("/tool/big")).isEqualTo("ERR:E2BIG");

        StringBuilder got = new StringBuilder();
        String gen = null;
        int off = 0;
        int parts = 0;
        for (;;) {
            XsMessage reply = xsd.handle(dom0.conn, XsMessage.of(XsWire.XS_DIRECTORY_PART, 1, 0, "/tool/big\0" + off + "\0"));
            assertThat(reply.type()).isEqualTo(XsWire.XS_DIRECTORY_PART);
            assertThat(reply.payload().length).isLessThanOrEqualTo(XsWire.XENSTORE_PAYLOAD_MAX);
            String text = reply.text();
            int nul = text.indexOf('\0');
            if (gen == null) {
                gen = text.substring(0, nul);
            }
            assertThat(text.substring(0, nul)).as("the generation stays while nothing changes").isEqualTo(gen);
            String names = text.substring(nul + 1);
            parts++;
            if (names.endsWith("\0\0") || names.equals("\0")) {
                got.append(names, 0, names.length() - 1);
                break;
            }
            got.append(names);
            off += names.length();
        }
        assertThat(parts).isGreaterThan(1);
        assertThat(got.toString().replace('\0', '|')).isEqualTo(expected.toString());

        assertThat(dom0.call(XsWire.XS_DIRECTORY_PART, 0, "/tool/big\0" + 1_000_000 + "\0")).as("past the end")
                .isEqualTo(gen + "||");
        assertThat(dom0.write("/tool/big/another", "")).isEqualTo("OK|");
        assertThat(dom0.call(XsWire.XS_DIRECTORY_PART, 0, "/tool/big\0" + 0 + "\0")).as("a new generation")
                .doesNotStartWith(gen + "|");
        assertThat(dom0.call(XsWire.XS_DIRECTORY_PART, 0, "/tool/big\0")).isEqualTo("ERR:EINVAL");
        assertThat(dom0.call(XsWire.XS_DIRECTORY_PART, 0, "/tool/none\0" + "0\0")).isEqualTo("ERR:ENOENT");
    }
}
