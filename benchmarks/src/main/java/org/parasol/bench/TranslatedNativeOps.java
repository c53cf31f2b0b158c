package org.parasol.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import org.parasol.guest.mm.PageTables;
import org.parasol.guest.pvops.PvOps;
import org.parasol.guest.x86.NativeOps;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypervisor.image.BinaryTranslator;

/**
 * The lab's {@code bt} configuration outside a kernel image: {@link NativeOps} defined again by
 * a loader of its own from its class file run through {@link BinaryTranslator}, as a
 * translated domain's image loader defines it; everything else (the {@link PvOps} interface,
 * the clock, the page tables, hypercall-api) comes from the bench's own loader, so the
 * translated copy is a {@code PvOps} like the other configurations'.
 */
final class TranslatedNativeOps {
    private static final String NAME = NativeOps.class.getName();
    private static volatile Class<?> translated;

    private TranslatedNativeOps() {
    }

    /** A translated {@code NativeOps} for {@code cpu}, as its constructor takes them. */
    static PvOps create(Cpu cpu, ArgumentPage page, long sharedInfoVa, long textVa) throws Exception {
        try {
            return (PvOps) MethodHandles.publicLookup().findConstructor(translatedClass(),
                    MethodType.methodType(void.class, Cpu.class, ArgumentPage.class, long.class, long.class))
                    .invoke(cpu, page, sharedInfoVa, textVa);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code NativeOps.useTables} on either copy. */
    static void useTables(PvOps ops, PageTables tables) throws Exception {
        try {
            MethodHandles.publicLookup().findVirtual(ops.getClass(), "useTables",
                    MethodType.methodType(void.class, PageTables.class)).invoke(ops, tables);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code NativeOps.cpuid} on either copy (a direct call for the untranslated one). */
    static long cpuid(PvOps ops, int leaf) {
        if (ops instanceof NativeOps n) {
            return n.cpuid(leaf);
        }
        try {
            return (long) CPUID.invoke(ops, leaf);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static final java.lang.invoke.MethodHandle CPUID;

    static {
        try {
            CPUID = MethodHandles.publicLookup().findVirtual(translatedClass(), "cpuid",
                    MethodType.methodType(long.class, int.class)).asType(
                            MethodType.methodType(long.class, PvOps.class, int.class));
        } catch (ReflectiveOperationException | IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Class<?> translatedClass() throws IOException {
        Class<?> c = translated;
        if (c != null) {
            return c;
        }
        byte[] original;
        try (InputStream in = NativeOps.class.getResourceAsStream("NativeOps.class")) {
            if (in == null) {
                throw new IOException("NativeOps.class is not on the class path");
            }
            original = in.readAllBytes();
        }
        BinaryTranslator.Result t = BinaryTranslator.translate(original);
        if (t.sites() == 0 || BinaryTranslator.sites(t.bytes()) != 0) {
            throw new IllegalStateException("NativeOps: " + t.sites() + " sites translated, "
                    + BinaryTranslator.sites(t.bytes()) + " left");
        }
        byte[] bytes = t.bytes();
        ClassLoader loader = new ClassLoader("lab-bt", TranslatedNativeOps.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                synchronized (getClassLoadingLock(name)) {
                    if (name.equals(NAME)) {
                        Class<?> own = findLoadedClass(name);
                        return own != null ? own : defineClass(name, bytes, 0, bytes.length);
                    }
                    return super.loadClass(name, resolve);
                }
            }
        };
        try {
            c = loader.loadClass(NAME);
        } catch (ClassNotFoundException e) {
            throw new IOException(e);
        }
        translated = c;
        return c;
    }
}
