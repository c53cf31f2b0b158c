package org.parasol.hypervisor.image;

import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the verifier needs to know about a host class (JDK or hypercall-api) to resolve member
 * references the way the JVM does: whether it is an interface, its direct supertypes, and every
 * member it declares (all access levels, as JVM resolution sees them) with its access flags.
 *
 * <p>Read by reflection from the classes the host itself runs, loaded but not initialized: JDK
 * classes through the platform loader (only names in JDK packages, only classes the boot or
 * platform loader defines), hypercall-api classes through {@link GuestParentLoader#standard()}
 * (only the hypervisor's own). Cached for the life of the process: both are fixed once the
 * host runs. A name that does not load is not cached and comes back {@code null}.
 */
final class HostTypes {
    private HostTypes() {
    }

    /** Access flags as the JVM and {@link Modifier} share them. */
    static final int STATIC = Modifier.STATIC;
    static final int PRIVATE = Modifier.PRIVATE;
    static final int ABSTRACT = Modifier.ABSTRACT;

    /**
     * One host class.
     *
     * @param name        internal name
     * @param isInterface whether it is an interface
     * @param superName   internal name of its superclass, {@code null} for interfaces and Object
     * @param interfaces  internal names of its direct superinterfaces
     * @param methods     declared methods and constructors by {@link GuestJdkApi#methodKey} to access flags
     * @param fields      declared fields by {@link GuestJdkApi#fieldKey} to access flags
     * @param polymorphic names of its signature-polymorphic methods ({@code MethodHandle.invoke},
     *                    {@code VarHandle.get}, ...) to their declared key
     */
    record HostType(String name, boolean isInterface, String superName, List<String> interfaces,
                    Map<String, Integer> methods, Map<String, Integer> fields, Map<String, String> polymorphic) {
    }

    private static final Map<String, HostType> CACHE = new ConcurrentHashMap<>();

    /** The JDK class of this internal name, or {@code null} if it is not a JDK class the host can load. */
    static HostType jdk(String internalName) {
        if (!HostPackages.isJdk(internalName)) {
            return null;
        }
        HostType known = CACHE.get(internalName);
        if (known != null) {
            return known;
        }
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        try {
            Class<?> c = Class.forName(internalName.replace('/', '.'), false, platform);
            ClassLoader l = c.getClassLoader();
            if (l != null && l != platform) {
                return null;
            }
            return cache(internalName, c);
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /** The hypercall-api class of this internal name, or {@code null} if the hypervisor's hypercall-api has none. */
    static HostType hypercall(String internalName) {
        if (!HostPackages.isHypercallApi(internalName)) {
            return null;
        }
        HostType known = CACHE.get(internalName);
        if (known != null) {
            return known;
        }
        try {
            return cache(internalName, GuestParentLoader.standard().loadClass(internalName.replace('/', '.')));
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    private static HostType cache(String internalName, Class<?> c) {
        if (!c.getName().replace('.', '/').equals(internalName)) {
            return null;
        }
        return CACHE.computeIfAbsent(internalName, n -> describe(c));
    }

    private static HostType describe(Class<?> c) {
        Map<String, Integer> methods = new HashMap<>();
        Map<String, String> polymorphic = new HashMap<>();
        boolean invokeHandle = c == java.lang.invoke.MethodHandle.class || c == java.lang.invoke.VarHandle.class;
        for (Method m : c.getDeclaredMethods()) {
            String key = GuestJdkApi.methodKey(m.getName(),
                    MethodType.methodType(m.getReturnType(), m.getParameterTypes()).descriptorString());
            methods.put(key, m.getModifiers());
            if (invokeHandle && Modifier.isNative(m.getModifiers()) && m.isVarArgs()
                    && m.getParameterCount() == 1 && m.getParameterTypes()[0] == Object[].class) {
                polymorphic.put(m.getName(), key);
            }
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            methods.put(GuestJdkApi.methodKey("<init>",
                    MethodType.methodType(void.class, k.getParameterTypes()).descriptorString()), k.getModifiers());
        }
        Map<String, Integer> fields = new HashMap<>();
        for (Field f : c.getDeclaredFields()) {
            fields.put(GuestJdkApi.fieldKey(f.getName(), f.getType().descriptorString()), f.getModifiers());
        }
        List<String> interfaces = new ArrayList<>();
        for (Class<?> i : c.getInterfaces()) {
            interfaces.add(i.getName().replace('.', '/'));
        }
        Class<?> s = c.getSuperclass();
        return new HostType(c.getName().replace('.', '/'), c.isInterface(), s == null ? null : s.getName().replace('.', '/'),
                List.copyOf(interfaces), Map.copyOf(methods), Map.copyOf(fields), Map.copyOf(polymorphic));
    }
}
