package io.slmserve.chat;

import java.util.List;
import java.util.Map;

/** Something a template may call: a global function, a bound method, a macro. */
@FunctionalInterface
interface PyCallable {

    Object call(List<Object> args, Map<String, Object> kwargs);
}
