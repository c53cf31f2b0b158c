package org.parasol.hypervisor.image;

import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The public and protected members a JDK class declares, read by reflection on the running JDK,
 * as keys of {@link GuestJdkApi} ({@code name(desc)ret}, {@code name:desc}): what the list must
 * decide for that class. Bridges and other synthetic methods are included; inherited members
 * are not (they are decided where they are declared).
 */
final class JdkMembers {
    private JdkMembers() {
    }

    /** The JDK class of an internal name, loaded without initializing it. */
    static Class<?> load(String internalName) throws ClassNotFoundException {
        return Class.forName(internalName.replace('/', '.'), false, ClassLoader.getPlatformClassLoader());
    }

    /** Fields, then constructors, then methods, each sorted. */
    static List<String> declared(Class<?> c) {
        List<String> fields = new ArrayList<>();
        List<String> constructors = new ArrayList<>();
        List<String> methods = new ArrayList<>();
        for (Field f : c.getDeclaredFields()) {
            if (visible(f.getModifiers())) {
                fields.add(GuestJdkApi.fieldKey(f.getName(), f.getType().descriptorString()));
            }
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (visible(k.getModifiers())) {
                constructors.add(GuestJdkApi.methodKey("<init>",
                        MethodType.methodType(void.class, k.getParameterTypes()).descriptorString()));
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (visible(m.getModifiers())) {
                methods.add(GuestJdkApi.methodKey(m.getName(),
                        MethodType.methodType(m.getReturnType(), m.getParameterTypes()).descriptorString()));
            }
        }
        Collections.sort(fields);
        Collections.sort(constructors);
        Collections.sort(methods);
        List<String> all = new ArrayList<>(fields);
        all.addAll(constructors);
        all.addAll(methods);
        return all;
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** A member as a line of the list, denied until reviewed: {@code   - key JDK_ALLOW_LIST}. */
    static String deniedLine(String key) {
        return "  - " + key + " " + GuestApiRule.JDK_ALLOW_LIST.name();
    }
}
