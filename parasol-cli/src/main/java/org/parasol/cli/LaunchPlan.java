package org.parasol.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * How {@code parasol run} starts one instance of an image: one domain (the default), or two
 * domains joined by an offer, as a {@code <image>.launch} file beside the image descriptor
 * declares.
 *
 * <pre>
 * # pingpong.launch
 * launch=offer-accept          # single (the default without a file) | offer-accept
 * offer.line=pingpong: offer   # the console line prefix the offering domain prints its offer after
 * offer.timeout=30             # seconds to wait for it (default 30)
 * offer.name=ping              # name of the offering domain (default &lt;image&gt;-offer)
 * accept.name=pong             # name of the accepting domain (default &lt;image&gt;-accept)
 * </pre>
 *
 * <p>An offer-accept launch is the toolstack's half of a two-domain handshake: the launcher
 * reserves the accepting domain's id, starts the offering domain with {@code peer=<that id>}
 * on its command line, reads the offer line {@code <offer.line> gref=<n> port=<p> peer=<domid>}
 * from its console ({@link Offer}), and starts the accepting domain, with the reserved id,
 * with {@code peer=<offering domid> gref=<n> port=<p>}. {@link OfferAcceptLauncher} does it.
 *
 * @param kind       single or offer-accept
 * @param offerLine  the offer line's prefix (offer-accept only, else empty)
 * @param timeout    how long to wait for the offer line
 * @param offerName  the offering domain's name
 * @param acceptName the accepting domain's name
 */
record LaunchPlan(Kind kind, String offerLine, Duration timeout, String offerName, String acceptName) {
    /** The file name suffix of a launch descriptor. */
    static final String SUFFIX = ".launch";
    /** How long the launcher waits for an offer line when the descriptor does not say. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final Set<String> KEYS = Set.of("launch", "offer.line", "offer.timeout", "offer.name", "accept.name");

    /** The shapes of launch {@code parasol run} knows. */
    enum Kind {
        /** One domain per instance. */
        SINGLE("single", 1),
        /** Two domains per instance, the second created from the first's offer. */
        OFFER_ACCEPT("offer-accept", 2);

        private final String word;
        private final int domains;

        Kind(String word, int domains) {
            this.word = word;
            this.domains = domains;
        }

        /** Its value of {@code launch=}. */
        String word() {
            return word;
        }

        /** Domains one instance creates. */
        int domains() {
            return domains;
        }
    }

    /** One domain named after the image. */
    static LaunchPlan single(String image) {
        return new LaunchPlan(Kind.SINGLE, "", DEFAULT_TIMEOUT, image, image);
    }

    /**
     * The plan for {@code image}: {@code <imagesDir>/<image>.launch} if it exists, else
     * {@link #single}.
     *
     * @throws LaunchException if the file cannot be read or a key is unknown, missing or malformed
     */
    static LaunchPlan read(Path imagesDir, String image) throws LaunchException {
        Path file = imagesDir.resolve(image + SUFFIX);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return single(image);
        } catch (IOException | IllegalArgumentException e) {
            throw new LaunchException("cannot read launch descriptor " + file + ": " + e.getMessage(), e);
        }
        for (String key : p.stringPropertyNames()) {
            if (!KEYS.contains(key)) {
                throw new LaunchException(file + ": unknown key '" + key + "' (known keys: " + new TreeSet<>(KEYS) + ")");
            }
        }
        String launch = p.getProperty("launch", Kind.SINGLE.word()).strip();
        if (launch.equals(Kind.SINGLE.word())) {
            return single(image);
        }
        if (!launch.equals(Kind.OFFER_ACCEPT.word())) {
            throw new LaunchException(file + ": launch=" + launch + " must be " + Kind.SINGLE.word() + " or "
                    + Kind.OFFER_ACCEPT.word());
        }
        String line = p.getProperty("offer.line", "").strip();
        if (line.isEmpty()) {
            throw new LaunchException(file + ": launch=offer-accept needs offer.line, the prefix of the offer line");
        }
        Duration timeout = DEFAULT_TIMEOUT;
        String t = p.getProperty("offer.timeout");
        if (t != null) {
            try {
                long seconds = Long.parseLong(t.strip());
                if (seconds < 1 || seconds > 3600) {
                    throw new NumberFormatException("out of range");
                }
                timeout = Duration.ofSeconds(seconds);
            } catch (NumberFormatException e) {
                throw new LaunchException(file + ": offer.timeout=" + t.strip() + " must be 1..3600 seconds", e);
            }
        }
        String offerName = p.getProperty("offer.name", image + "-offer").strip();
        String acceptName = p.getProperty("accept.name", image + "-accept").strip();
        if (offerName.equals(acceptName)) {
            throw new LaunchException(file + ": offer.name and accept.name must differ (both '" + offerName + "')");
        }
        return new LaunchPlan(Kind.OFFER_ACCEPT, line + " ", timeout, offerName, acceptName);
    }
}
