package org.parasol.toolstack.dom0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Errno;
import org.parasol.toolstack.xenstore.XsConnection;
import org.parasol.toolstack.xenstore.XsException;
import org.parasol.toolstack.xenstore.XsPerms;
import org.parasol.toolstack.xenstore.XsQuota;
import org.parasol.toolstack.xenstore.XsStore;

/**
 * The toolstack's device paths: what {@code libxl__device_generic_add} writes for a device
 * served by a driver domain, with its permissions, and that removing either end leaves no node
 * of the device behind and tells the other end through its watch.
 */
class XsDevicesTest {
    private static final int BACK = 1;
    private static final int FRONT = 2;
    private static final String FE = "/local/domain/2/device/pingpong/0";
    private static final String BE = "/local/domain/1/backend/pingpong/2/0";

    private XsStore store;
    private XsConnection tools;
    private XsDevices devices;
    private final List<String> log = new ArrayList<>();
    private int nodesBefore;

    @BeforeEach
    void twoDomains() throws XsException {
        store = new XsStore(XsQuota.DEFAULT);
        tools = new XsConnection(0, true, e -> tools.eventDelivered());
        store.connect(tools);
        for (int d : new int[] {BACK, FRONT}) {
            // What Dom0Xenstored.writeDomain makes: the domain's directory and device/, n0 r<d>.
            for (String p : List.of("/local/domain/" + d, "/local/domain/" + d + "/device")) {
                store.write(tools, null, p, new byte[0]);
                store.setPerms(tools, null, p, new XsPerms(List.of(new XsPerms.Perm(0, 'n'), new XsPerms.Perm(d, 'r'))));
            }
        }
        nodesBefore = store.size();
        devices = new XsDevices(store, tools, log::add);
    }

    private String read(XsConnection c, String path) throws XsException {
        return new String(store.read(c, null, path), StandardCharsets.ISO_8859_1);
    }

    /** An unprivileged connection of {@code domid} whose watch events land in {@code events}. */
    private XsConnection domain(int domid, List<String> events) {
        XsConnection[] c = new XsConnection[1];
        c[0] = new XsConnection(domid, false, e -> {
            events.add(e.strings().get(0));
            c[0].eventDelivered();
        });
        store.connect(c[0]);
        return c[0];
    }

    @Test
    @DisplayName("libxl__device_generic_add: front dir n<front> r<back> with backend, backend-id, state=1; back dir "
            + "n<back> r<front> with frontend, frontend-id, online=1, state=1")
    void shouldWriteBothEndsAsLibxlDoes() throws XsException {
        devices.add(FRONT, BACK, "pingpong", 0);

        assertThat(store.getPerms(tools, null, FE).wire()).isEqualTo("n2\0r1\0");
        assertThat(read(tools, FE + "/backend")).isEqualTo(BE);
        assertThat(read(tools, FE + "/backend-id")).isEqualTo("1");
        assertThat(read(tools, FE + "/state")).isEqualTo("1");
        assertThat(store.getPerms(tools, null, FE + "/state").wire()).as("inherited").isEqualTo("n2\0r1\0");
        assertThat(store.getPerms(tools, null, BE).wire()).isEqualTo("n1\0r2\0");
        assertThat(read(tools, BE + "/frontend")).isEqualTo(FE);
        assertThat(read(tools, BE + "/frontend-id")).isEqualTo("2");
        assertThat(read(tools, BE + "/online")).isEqualTo("1");
        assertThat(read(tools, BE + "/state")).isEqualTo("1");
        assertThat(devices.of(FRONT)).containsExactly(new XsDevices.Device(FRONT, BACK, "pingpong", 0, false));
        assertThat(devices.of(BACK)).isEqualTo(devices.of(FRONT));
    }

    @Test
    @DisplayName("each end reads the other's keys and writes its own; neither may write the other's, nor a third domain read either")
    void shouldLetEachEndWriteOnlyItsOwnDirectory() throws XsException {
        devices.add(FRONT, BACK, "pingpong", 0);
        XsConnection back = domain(BACK, new ArrayList<>());
        XsConnection front = domain(FRONT, new ArrayList<>());
        XsConnection other = domain(3, new ArrayList<>());

        store.write(front, null, FE + "/ring-ref", "8".getBytes(StandardCharsets.ISO_8859_1));
        store.write(back, null, BE + "/state", "2".getBytes(StandardCharsets.ISO_8859_1));

        assertThat(read(back, FE + "/ring-ref")).isEqualTo("8");
        assertThat(read(front, BE + "/state")).isEqualTo("2");
        assertThat(store.directory(back, null, "/local/domain/1/backend/pingpong")).containsExactly("2");
        assertThatThrownBy(() -> store.write(back, null, FE + "/ring-ref", new byte[] {'9'}))
                .isInstanceOfSatisfying(XsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
        assertThatThrownBy(() -> store.write(front, null, BE + "/state", new byte[] {'4'}))
                .isInstanceOfSatisfying(XsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
        assertThatThrownBy(() -> read(other, FE + "/ring-ref"))
                .isInstanceOfSatisfying(XsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
        assertThatThrownBy(() -> read(other, BE + "/state"))
                .isInstanceOfSatisfying(XsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
    }

    @Test
    @DisplayName("both ends appear in one transaction: a back end watching backend/ sees the front's directory complete")
    void shouldAddBothEndsAtOnce() throws XsException {
        List<String> events = new ArrayList<>();
        XsConnection back = domain(BACK, events);
        store.watch(back, "/local/domain/1/backend", "/local/domain/1/backend", "t", -1);
        events.clear(); // the watch's initial event
        List<String> seenByEvent = new ArrayList<>();
        XsConnection[] self = new XsConnection[1];
        self[0] = new XsConnection(BACK, false, e -> {
            try {
                // On the first event, everything the device needs is there already.
                if (seenByEvent.isEmpty()) {
                    seenByEvent.add(read(self[0], FE + "/backend-id") + "," + read(self[0], BE + "/frontend-id"));
                }
            } catch (XsException x) {
                seenByEvent.add(x.wireName());
            }
            self[0].eventDelivered();
        });
        store.connect(self[0]);
        store.watch(self[0], "/local/domain/1/backend", "/local/domain/1/backend", "u", -1);
        seenByEvent.clear();

        devices.add(FRONT, BACK, "pingpong", 0);

        assertThat(events).contains(BE, BE + "/state");
        assertThat(seenByEvent).containsExactly("1,2");
    }

    @Test
    @DisplayName("libxl__device_exists: a device that is there already is EEXIST and nothing changes; a domain cannot serve itself")
    void shouldRefuseADeviceThatExists() throws XsException {
        devices.add(FRONT, BACK, "pingpong", 0);
        int size = store.size();

        assertThatThrownBy(() -> devices.add(FRONT, BACK, "pingpong", 0))
                .isInstanceOfSatisfying(XsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
        assertThatThrownBy(() -> devices.add(FRONT, FRONT, "pingpong", 1))
                .isInstanceOfSatisfying(XsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThat(store.size()).isEqualTo(size);
        devices.add(FRONT, BACK, "pingpong", 1);
        assertThat(devices.of(FRONT)).hasSize(2);
    }

    @Test
    @DisplayName("the front end goes: its device dir and the back end's entry go, with the parents they leave empty, "
            + "and the back end's watch on the front's state fires")
    void shouldRemoveBothEndsWhenTheFrontEndGoes() throws XsException {
        devices.add(FRONT, BACK, "pingpong", 0);
        List<String> backEvents = new ArrayList<>();
        XsConnection back = domain(BACK, backEvents);
        store.watch(back, FE + "/state", FE + "/state", "otherend", -1);
        backEvents.clear();

        assertThat(devices.forget(FRONT)).hasSize(1);

        assertThat(backEvents).as("the back end hears its front end go").containsExactly(FE + "/state");
        assertThat(store.exists(null, FE)).isFalse();
        assertThat(store.exists(null, "/local/domain/2/device/pingpong")).isFalse();
        assertThat(store.exists(null, "/local/domain/2/device")).as("dom0's, kept").isTrue();
        assertThat(store.exists(null, "/local/domain/1/backend")).isFalse();
        assertThat(store.size()).isEqualTo(nodesBefore);
        assertThat(devices.of(FRONT)).isEmpty();
        assertThat(devices.of(BACK)).isEmpty();
        assertThat(log).isEmpty();
    }

    @Test
    @DisplayName("the back end goes first: its entry goes and the front end's watch fires; the front's dir goes with the "
            + "front; a new domain with the back end's id is not taken for it")
    void shouldRemoveTheBackEntryWhenTheBackEndGoes() throws XsException {
        devices.add(FRONT, BACK, "pingpong", 0);
        devices.add(3, BACK, "pingpong", 0);
        List<String> frontEvents = new ArrayList<>();
        XsConnection front = domain(FRONT, frontEvents);
        store.watch(front, BE + "/state", BE + "/state", "otherend", -1);
        frontEvents.clear();

        assertThat(devices.forget(BACK)).hasSize(2);

        assertThat(frontEvents).containsExactly(BE + "/state");
        assertThat(store.exists(null, "/local/domain/1/backend")).isFalse();
        assertThat(store.exists(null, FE)).as("the front end keeps its directory while it lives").isTrue();
        assertThat(devices.of(BACK)).as("a later d1 is another domain").isEmpty();
        assertThat(devices.forget(FRONT)).hasSize(1);
        assertThat(store.exists(null, FE)).isFalse();
        assertThat(store.exists(null, "/local/domain/2/device/pingpong")).isFalse();
        assertThat(log).isEmpty();
    }

    @Test
    @DisplayName("nodes a hostile end added inside its own device directory go with it")
    void shouldRemoveWhatAnEndWroteBelowItsDirectory() throws XsException {
        devices.add(FRONT, BACK, "pingpong", 0);
        XsConnection front = domain(FRONT, new ArrayList<>());
        XsConnection back = domain(BACK, new ArrayList<>());
        store.write(front, null, FE + "/ring-ref", "banana".getBytes(StandardCharsets.ISO_8859_1));
        store.write(front, null, FE + "/deep/deeper/deepest", new byte[] {'x'});
        store.write(back, null, BE + "/feature-x", new byte[] {'1'});

        devices.forget(FRONT);

        assertThat(store.size()).isEqualTo(nodesBefore);
        assertThat(store.nodesOwnedBy(FRONT)).isZero();
        assertThat(store.nodesOwnedBy(BACK)).isZero();
    }
}
