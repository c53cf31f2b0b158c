package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.parasol.hypercall.abi.XsWire;

/**
 * The store against a reference model: random interleavings of reads, writes, mkdirs, rms and
 * listings from dom0 and two domains, each with transactions that it commits or aborts, in a
 * shared area all three may write. The model is a plain sorted map applied one operation at
 * a time. Operations outside transactions must give the model's answer at once; a committed
 * transaction must give, for every operation in it, the answer the model gives when the
 * whole transaction is replayed at the moment of its commit (serializability); a transaction
 * refused with EAGAIN changes nothing.
 */
class XenstoreModelProperty {
    private static final String AREA = "/shared";

    record Step(int client, int op, String path, String value) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<String> path = Arbitraries.of("a", "b", "a/x", "a/y", "b/x", "a/x/deep", "c")
                .map(p -> AREA + "/" + p);
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 9), path, Arbitraries.of("1", "2", "", "val")).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(80);
    }

    /** The model: absolute path to value; parents exist implicitly when written. */
    static final class Model {
        final TreeMap<String, String> nodes = new TreeMap<>();

        Model() {
            nodes.put(AREA, "");
        }

        String apply(int op, String path, String value) {
            switch (op) {
                case 0, 1 -> { // write
                    for (String p = XsPath.parent(path); !nodes.containsKey(p); p = XsPath.parent(p)) {
                        nodes.put(p, "");
                    }
                    nodes.put(path, value);
                    return "OK|";
                }
                case 2 -> { // read
                    String v = nodes.get(path);
                    return v == null ? "ERR:ENOENT" : v;
                }
                case 3 -> { // mkdir
                    for (String p = path; !nodes.containsKey(p); p = XsPath.parent(p)) {
                        nodes.put(p, "");
                    }
                    return "OK|";
                }
                case 4 -> { // rm
                    if (!nodes.containsKey(path)) {
                        return nodes.containsKey(XsPath.parent(path)) ? "OK|" : "ERR:ENOENT";
                    }
                    nodes.keySet().removeIf(p -> XsPath.isAtOrBelow(p, path));
                    return "OK|";
                }
                default -> { // directory
                    if (!nodes.containsKey(path)) {
                        return "ERR:ENOENT";
                    }
                    TreeSet<String> children = new TreeSet<>();
                    for (String p : nodes.tailMap(path, false).keySet()) {
                        if (!XsPath.isAtOrBelow(p, path)) {
                            break;
                        }
                        if (XsPath.parent(p).equals(path)) {
                            children.add(XsPath.name(p));
                        }
                    }
                    StringBuilder sb = new StringBuilder();
                    children.forEach(c -> sb.append(c).append('|'));
                    return sb.toString();
                }
            }
        }
    }

    private record Done(int op, String path, String value, String result) {
    }

    @Property(tries = 300)
    @Label("committed transactions are serializable; operations outside them match the model at once")
    void storeMatchesTheModel(@ForAll("steps") List<Step> steps) {
        XsStore store = new XsStore(XsQuota.DEFAULT);
        Xenstored xsd = new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
            }

            @Override
            public void release(int domid) {
            }
        });
        XsConnection[] conns = {new XsConnection(0, true, e -> { }), new XsConnection(1, false, e -> { }),
                new XsConnection(2, false, e -> { })};
        for (XsConnection c : conns) {
            store.connect(c);
        }
        call(xsd, conns[0], XsWire.XS_WRITE, 0, AREA + "\0");
        call(xsd, conns[0], XsWire.XS_SET_PERMS, 0, AREA + "\0b0\0");
        Model model = new Model();
        Map<Integer, Integer> open = new HashMap<>();
        Map<Integer, List<Done>> log = new HashMap<>();
        int reqId = 0;
        for (Step s : steps) {
            XsConnection c = conns[s.client()];
            Integer tx = open.get(s.client());
            if (s.op() == 8) { // start, or commit when one is open
                if (tx == null) {
                    String id = call(xsd, c, XsWire.XS_TRANSACTION_START, 0, "\0");
                    open.put(s.client(), Integer.parseInt(id.replace("|", "")));
                    log.put(s.client(), new ArrayList<>());
                } else {
                    String r = call(xsd, c, XsWire.XS_TRANSACTION_END, tx, "T\0");
                    open.remove(s.client());
                    List<Done> done = log.remove(s.client());
                    if (r.equals("OK|")) {
                        for (Done d : done) {
                            assertThat(model.apply(d.op(), d.path(), d.value()))
                                    .as("replaying %s at the commit of d%d's transaction", d, s.client())
                                    .isEqualTo(d.result());
                        }
                    } else {
                        assertThat(r).isEqualTo("ERR:EAGAIN");
                    }
                }
                continue;
            }
            if (s.op() == 9) { // abort
                if (tx != null) {
                    assertThat(call(xsd, c, XsWire.XS_TRANSACTION_END, tx, "F\0")).isEqualTo("OK|");
                    open.remove(s.client());
                    log.remove(s.client());
                }
                continue;
            }
            int type = switch (s.op()) {
                case 0, 1 -> XsWire.XS_WRITE;
                case 2 -> XsWire.XS_READ;
                case 3 -> XsWire.XS_MKDIR;
                case 4 -> XsWire.XS_RM;
                default -> XsWire.XS_DIRECTORY;
            };
            String payload = type == XsWire.XS_WRITE ? s.path() + "\0" + s.value() : s.path() + "\0";
            String result = call(xsd, c, type, tx == null ? 0 : tx, payload);
            if (tx == null) {
                assertThat(result).as("%s by d%d outside a transaction", s, s.client())
                        .isEqualTo(model.apply(s.op(), s.path(), s.value()));
            } else {
                log.get(s.client()).add(new Done(s.op(), s.path(), s.value(), result));
            }
            reqId++;
        }
        assertThat(reqId).isNotNegative();
    }

    private static String call(Xenstored xsd, XsConnection c, int type, int tx, String payload) {
        XsMessage reply = xsd.handle(c, XsMessage.of(type, 1, tx, payload));
        return reply.type() == XsWire.XS_ERROR ? "ERR:" + reply.text().replace("\0", "") : reply.text().replace('\0', '|');
    }
}
