package org.parasol.toolstack.dom0;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.ShutdownRequest;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.guest.DomctlCalls;
import org.parasol.toolstack.xenstore.XsException;

/**
 * What dom0 does with a line of its console input ({@link ConsoleInput}): the xl command it
 * names ({@link XlCommand}), carried out as xl would, its answers on dom0's console.
 *
 * <ul>
 *   <li>{@code xl shutdown} / {@code xl reboot}: {@link PvControl#request} for the domain, or
 *       for every running domain with {@code -a}; with {@code -w}, a line when each has ended
 *       and one when the last has (xl's {@code wait_for_domain_deaths}).</li>
 *   <li>{@code xl destroy}: dom0 destroys the domain at once (no on_* action follows).</li>
 *   <li>{@code xl list}: xl's columns for Domain-0 and each domain dom0 built that is still
 *       there, from {@code getdomaininfo}.</li>
 * </ul>
 *
 * <p>Domains are found as xl's {@code find_domain} finds them: a decimal id, else a name.
 * Domain 0 is never a target. Invariants: on dom0's vCPU 0, from its run loop.
 */
final class XlShell {
    /** What the shell sees of dom0's toolstack. */
    interface Toolstack {
        /** The domains dom0 waits for, by id, with their names, in the order they were built. */
        Map<Integer, String> running();

        /** The domains left shut down by on_*=preserve, by id. */
        Map<Integer, String> preserved();

        /** Destroys a running or preserved domain now. */
        void destroy(int domid);

        /** dom0's domctl calls, for getdomaininfo. */
        DomctlCalls domctl();

        /**
         * {@code xl block-attach}: adds {@code disk} to running domain {@code domid}.
         *
         * @return a line saying what was done or why not
         */
        String blockAttach(int domid, DeviceSpec disk);

        /** {@code xl block-detach}: removes disk {@code devid} of {@code domid}; says what happens. */
        String blockDetach(int domid, int devid);

        /** {@code xl block-list}: one line per disk of {@code domid}. */
        List<String> blockList(int domid);

        /** {@code xl network-attach}: adds {@code vif} to running domain {@code domid}; says what was done or why not. */
        String networkAttach(int domid, DeviceSpec vif);

        /** {@code xl network-detach}: removes vif {@code devid} (or the vif with MAC {@code mac}) of {@code domid}. */
        String networkDetach(int domid, String devidOrMac);

        /** {@code xl network-list}: one line per vif of {@code domid}. */
        List<String> networkList(int domid);

        /** {@code xl devstat}: one line of counters per disk and vif of every domain. */
        List<String> devstat();

        /**
         * {@code xl mem-set}: the balloon target of running domain {@code domid}, KiB.
         *
         * @return a line saying what was done or why not
         */
        String memSet(int domid, long targetKiB);

        /** {@code xl vcpu-set}: vCPUs {@code 0 .. vcpus-1} of {@code domid} online, the rest offline; says what was done or why not. */
        String vcpuSet(int domid, int vcpus);

        /**
         * {@code xl create}: builds the domain of one boot-module line now, and says how it went;
         * {@code paused} ({@code -p}) leaves it paused, to be unpaused by the controller.
         */
        void create(String domainLine, boolean paused);

        /**
         * {@code xl rename}: running domain {@code domid} is called {@code name} from now on, in
         * the store and in dom0's records; says how it went (EEXIST when another has it).
         */
        void rename(int domid, String name);

        /** Whether dom0 is powering off (then lines are ignored). */
        boolean ended();

        /**
         * {@code xl shutdown -a}: every domain is going down (as the xendomains script stops a
         * host), so one that shuts down from now on is not restarted, whatever its on_* action.
         */
        void shuttingDownAll();
    }

    /** xl list's state letters for the shutdown reasons, as {@code shutdown_reason_letters}. */
    private static final String REASON_LETTERS = "-rscwS";

    private final Kernel k;
    private final PvControl pvControl;
    private final Toolstack toolstack;
    /** Domains an {@code xl ... -w} waits for. */
    private final Set<Integer> waitedFor = new HashSet<>();

    XlShell(Kernel k, PvControl pvControl, Toolstack toolstack) {
        this.k = Objects.requireNonNull(k, "k");
        this.pvControl = Objects.requireNonNull(pvControl, "pvControl");
        this.toolstack = Objects.requireNonNull(toolstack, "toolstack");
    }

    /** One line of console input: an xl command carried out, or one line saying why not. */
    void line(String line) {
        XlCommand c;
        try {
            c = XlCommand.parse(line);
        } catch (XlCommand.Refused e) {
            k.println("dom0: xl: " + e.getMessage());
            return;
        }
        if (c == null || toolstack.ended()) {
            return;
        }
        switch (c.verb()) {
            case LIST -> list();
            case DEVSTAT -> toolstack.devstat().forEach(l -> k.println("dom0: devstat " + l));
            case DESTROY -> {
                Integer id = find(c.domain());
                if (id != null) {
                    toolstack.destroy(id);
                }
            }
            case SHUTDOWN, REBOOT -> request(c, c.verb() == XlCommand.Verb.SHUTDOWN ? ShutdownRequest.POWEROFF
                    : ShutdownRequest.REBOOT);
            case BLOCK_ATTACH, BLOCK_DETACH, BLOCK_LIST, NETWORK_ATTACH, NETWORK_DETACH, NETWORK_LIST -> block(c);
            case CREATE -> toolstack.create(c.device(), c.paused());
            case RENAME -> {
                Integer id = find(c.domain());
                if (id != null) {
                    toolstack.rename(id, c.device());
                }
            }
            case MEM_SET, VCPU_SET -> resources(c);
        }
    }

    /** mem-set and vcpu-set, on a running domain. */
    private void resources(XlCommand c) {
        Integer id = find(c.domain());
        if (id == null) {
            return;
        }
        if (!toolstack.running().containsKey(id)) {
            k.println("dom0: xl: d" + id + " is not running");
            return;
        }
        if (c.verb() == XlCommand.Verb.MEM_SET) {
            k.println("dom0: xl: " + toolstack.memSet(id, XlCommand.parseMemSizeKiB(c.device())));
        } else {
            k.println("dom0: xl: " + toolstack.vcpuSet(id, Integer.parseInt(c.device())));
        }
    }

    /** The block verbs, on a running domain. */
    private void block(XlCommand c) {
        Integer id = find(c.domain());
        if (id == null) {
            return;
        }
        if (!toolstack.running().containsKey(id)) {
            k.println("dom0: xl: d" + id + " is not running");
            return;
        }
        switch (c.verb()) {
            case NETWORK_LIST -> {
                k.println("Idx BE Mac Addr.         handle state evt-ch tx-/rx-ring-ref BE-path");
                toolstack.networkList(id).forEach(k::println);
            }
            case NETWORK_ATTACH -> {
                DeviceSpec vif;
                try {
                    vif = DeviceSpec.parse(DeviceSpec.VIF + ":" + (c.device().isEmpty() ? "bridge=xenbr0" : c.device()));
                } catch (IllegalArgumentException e) {
                    k.println("dom0: xl: network-attach: " + e.getMessage());
                    return;
                }
                k.println("dom0: xl: " + toolstack.networkAttach(id, vif));
            }
            case NETWORK_DETACH -> k.println("dom0: xl: " + toolstack.networkDetach(id, c.device()));
            case BLOCK_LIST -> {
                k.println("Vdev   BE  handle state evt-ch ring-ref BE-path");
                toolstack.blockList(id).forEach(k::println);
            }
            case BLOCK_ATTACH -> {
                DeviceSpec disk;
                try {
                    disk = DeviceSpec.parse(DeviceSpec.VBD + ":" + c.device());
                } catch (IllegalArgumentException e) {
                    k.println("dom0: xl: block-attach: " + e.getMessage());
                    return;
                }
                k.println("dom0: xl: " + toolstack.blockAttach(id, disk));
            }
            case BLOCK_DETACH -> {
                int devid;
                try {
                    devid = org.parasol.drivers.blk.Vbd.devid(c.device());
                } catch (IllegalArgumentException e) {
                    k.println("dom0: xl: block-detach: " + e.getMessage());
                    return;
                }
                k.println("dom0: xl: " + toolstack.blockDetach(id, devid));
            }
            default -> {
            }
        }
    }

    private void request(XlCommand c, ShutdownRequest r) {
        Map<Integer, String> running = toolstack.running();
        List<Integer> targets = new ArrayList<>();
        if (c.all()) {
            if (r == ShutdownRequest.POWEROFF) {
                toolstack.shuttingDownAll();
            }
            targets.addAll(running.keySet());
        } else {
            Integer id = find(c.domain());
            if (id == null) {
                return;
            }
            if (!running.containsKey(id)) {
                k.println("dom0: xl: d" + id + " has shut down already");
                return;
            }
            targets.add(id);
        }
        if (c.waitForEnd()) {
            k.println("dom0: xl: waiting for " + targets.size() + " domain" + (targets.size() == 1 ? "" : "s"));
            waitedFor.addAll(targets);
            if (targets.isEmpty()) {
                k.println("dom0: xl: done waiting");
            }
        }
        for (int id : targets) {
            boolean asked = pvControl.isDestroyPending(id);
            try {
                pvControl.request(id, r);
            } catch (XsException e) {
                k.println("dom0: xl: d" + id + ": " + r.word() + " failed: " + e.getMessage());
                ended(id, "was not asked");
                continue;
            }
            String name = running.get(id);
            // xl writes the node again; the first request's timeout keeps running.
            k.println(asked ? "dom0: d" + id + " (" + name + ") was asked already; its timeout runs on"
                    : "dom0: " + (r == ShutdownRequest.REBOOT ? "rebooting" : "shutting down") + " d" + id + " (" + name
                            + "); destroyed if still up in " + seconds(pvControl.timeout()));
        }
    }

    /**
     * Domain {@code domid} ended ({@code what}: "has been shut down, reason code 0", "has been
     * destroyed"): an {@code xl ... -w} waiting for it says so, and says when it waits no more.
     */
    void ended(int domid, String what) {
        if (waitedFor.remove(domid)) {
            k.println("dom0: xl: domain " + domid + " " + what);
            if (waitedFor.isEmpty()) {
                k.println("dom0: xl: done waiting");
            }
        }
    }

    /** xl's {@code find_domain}: a decimal id or a name, among the domains dom0 built; says so when none. */
    private Integer find(String domain) {
        Map<Integer, String> running = toolstack.running();
        Map<Integer, String> preserved = toolstack.preserved();
        if (domain.chars().allMatch(c -> c >= '0' && c <= '9') && domain.length() <= 5) {
            int id = Integer.parseInt(domain);
            if (id == 0) {
                k.println("dom0: xl: not domain 0: dom0 powers off by itself after its last domain");
                return null;
            }
            if (running.containsKey(id) || preserved.containsKey(id)) {
                return id;
            }
        } else {
            if (domain.equals("Domain-0")) {
                k.println("dom0: xl: not domain 0: dom0 powers off by itself after its last domain");
                return null;
            }
            for (Map<Integer, String> m : List.of(running, preserved)) {
                for (Map.Entry<Integer, String> e : m.entrySet()) {
                    if (e.getValue().equals(domain)) {
                        return e.getKey();
                    }
                }
            }
        }
        k.println("dom0: xl: '" + domain + "' is an invalid domain identifier");
        return null;
    }

    /** {@code xl list}: Domain-0 and every domain dom0 built that is still there, with xl's columns. */
    private void list() {
        k.println("Name                                        ID   Mem VCPUs\tState\tTime(s)");
        listOne(0, "Domain-0");
        toolstack.running().forEach(this::listOne);
        toolstack.preserved().forEach(this::listOne);
    }

    private void listOne(int domid, String name) {
        DomctlCalls.DomainInfo info = toolstack.domctl().getDomainInfo(DomId.of(domid));
        if (info.result() < 0) {
            return;
        }
        int f = info.flags();
        int code = info.shutdown() ? info.shutdownCode() : 0;
        k.println(String.format("%-40s %5d %5d %5d     %c%c%c%c%c%c  %8.1f", name, domid, info.totPages() * 4 / 1024,
                info.nrOnlineVcpus(), (f & Domctl.DOMINF_RUNNING) != 0 ? 'r' : '-',
                (f & Domctl.DOMINF_BLOCKED) != 0 ? 'b' : '-', info.paused() ? 'p' : '-', info.shutdown() ? 's' : '-',
                code < REASON_LETTERS.length() ? REASON_LETTERS.charAt(code) : '?', info.dying() ? 'd' : '-',
                info.cpuTime() / 1e9));
    }

    /** A timeout as dom0 says it: whole seconds as {@code 60 s}, else milliseconds. */
    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
