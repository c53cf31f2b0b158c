package org.parasol.cli;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainCreationException;

/**
 * Starts the two domains of an offer-accept {@link LaunchPlan}: the toolstack's half of a
 * handshake that, in Xen, runs through xenstore.
 *
 * <pre>
 *  reserve ids A &lt; B                                        Hypervisor.reserveDomid
 *  create the offering domain A with "peer=B ..."           it grants a page and allocates an
 *                                                           unbound port for B, then prints
 *  read A's console until "&lt;offer.line&gt; gref=G port=P peer=B"
 *  create the accepting domain with id B and                 it maps G, binds to P
 *         "peer=A gref=G port=P ..."
 * </pre>
 *
 * <p>Nothing is hard-coded: the grant reference and port are whatever A allocated. The wait is
 * bounded: the launch fails with a {@link LaunchException} saying why when A prints no offer
 * line in the plan's timeout, prints a malformed one or one for another domain than B, or shuts
 * down first. A failed launch shuts A down (reason crash, the cause naming the failure) and
 * releases the reserved ids, so nothing is left behind; A's {@code on_crash} action, or whoever listens
 * for shutdowns, reclaims it.
 *
 * <p>Thread-safety: {@link #launch} may be called from several threads; the watches it keeps
 * are per offering domain.
 */
final class OfferAcceptLauncher {
    /** Creates and starts a domain (and, for {@code parasol run}, attaches its console to the output). */
    @FunctionalInterface
    interface DomainStarter {
        /** Creates {@code cfg}'s domain with id {@code domid}, or any free id when {@code domid} is negative. */
        Domain start(DomainConfig cfg, int domid) throws DomainCreationException;
    }

    private final Hypervisor hv;
    private final DomainStarter starter;
    /** Offering domains waited on, by domid: the offer, or why it will never come. */
    private final ConcurrentHashMap<Integer, CompletableFuture<Offer>> waiting = new ConcurrentHashMap<>();

    /** A launcher creating domains on {@code hv} through {@code starter}. */
    OfferAcceptLauncher(Hypervisor hv, DomainStarter starter) {
        this.hv = hv;
        this.starter = starter;
        hv.onShutdown(this::shutDown);
    }

    /**
     * Runs {@code plan} with {@code offerCfg} and {@code acceptCfg}, whose command lines are
     * appended to the handshake's words. Returns the offering and the accepting domain, both
     * started.
     *
     * @throws LaunchException if the handshake broke off (the message says how)
     * @throws DomainCreationException if either domain could not be created
     */
    List<Domain> launch(LaunchPlan plan, DomainConfig offerCfg, DomainConfig acceptCfg)
            throws LaunchException, DomainCreationException, InterruptedException {
        // Both ids up front, in order, so the offering domain gets the lower one: a reader of the
        // output sees domain 1 offer to domain 2.
        int offerId = hv.reserveDomid();
        int acceptId;
        try {
            acceptId = hv.reserveDomid();
        } catch (DomainCreationException e) {
            hv.releaseDomid(offerId);
            throw e;
        }
        boolean reservationUsed = false;
        Domain offering = null;
        try {
            try {
                offering = starter.start(offerCfg.withCmdline(join("peer=" + acceptId, offerCfg.cmdline())), offerId);
            } finally {
                hv.releaseDomid(offerId); // used up by the creation, or no longer needed
            }
            Offer offer = awaitOffer(plan, offering);
            if (offer.peer() != acceptId) {
                throw new LaunchException(describe(offering) + " offered to domain " + offer.peer()
                        + ", but the accepting domain '" + acceptCfg.name() + "' is domain " + acceptId);
            }
            String args = join(offer.acceptArguments(offering.domid()), acceptCfg.cmdline());
            Domain accepting = starter.start(acceptCfg.withCmdline(args), acceptId);
            reservationUsed = true;
            return List.of(offering, accepting);
        } catch (LaunchException | DomainCreationException | InterruptedException | RuntimeException e) {
            if (offering != null) {
                offering.shutdown(Shutdown.CRASH,
                        "launch failed: " + (e instanceof InterruptedException ? "interrupted" : e.getMessage()));
            }
            throw e;
        } finally {
            if (!reservationUsed) {
                hv.releaseDomid(acceptId);
            }
            if (offering != null) {
                waiting.remove(offering.domid());
            }
        }
    }

    /** Waits, up to the plan's timeout, for {@code d}'s offer line. */
    private Offer awaitOffer(LaunchPlan plan, Domain d) throws LaunchException, InterruptedException {
        CompletableFuture<Offer> offer = new CompletableFuture<>();
        waiting.put(d.domid(), offer);
        // Subscribing replays what the domain printed already, so no line is missed.
        d.console().subscribe(line -> {
            if (!offer.isDone() && line.startsWith(plan.offerLine())) {
                try {
                    offer.complete(Offer.parse(line.substring(plan.offerLine().length())));
                } catch (LaunchException e) {
                    offer.completeExceptionally(new LaunchException(describe(d) + " printed a malformed offer line '"
                            + line + "': " + e.getMessage(), e));
                }
            }
        });
        if (!d.mayRun()) {
            shutDown(d); // it ended before we watched for its shutdown
        }
        try {
            return offer.get(plan.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new LaunchException(describe(d) + " printed no offer line ('" + plan.offerLine()
                    + "gref=<n> port=<p> peer=<domid>') within " + plan.timeout().toSeconds() + " s", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof LaunchException le) {
                throw le;
            }
            throw new LaunchException(describe(d) + ": " + e.getCause(), e.getCause());
        }
    }

    /** A domain shut down: if it was to make an offer, it never will. */
    private void shutDown(Domain d) {
        CompletableFuture<Offer> offer = waiting.get(d.domid());
        if (offer == null || offer.isDone()) {
            return;
        }
        // Lines the domain printed just before it ended may still be on their way to the
        // console listener: let them arrive, so an offer that was printed is not reported missing.
        hv.drainConsole();
        String how = switch (d.shutdownReason()) {
            case Shutdown.POWEROFF -> "powered off";
            case Shutdown.REBOOT -> "rebooted";
            case Shutdown.CRASH -> "crashed" + (d.crashCause() != null ? " (" + d.crashCause() + ")" : "");
            default -> "shut down";
        };
        offer.completeExceptionally(new LaunchException(describe(d) + " " + how + " before it printed its offer line"));
    }

    private static String describe(Domain d) {
        return "domain '" + d.name() + "' (" + d.domid() + ")";
    }

    private static String join(String words, String more) {
        return more == null || more.isBlank() ? words : words + " " + more.strip();
    }
}
