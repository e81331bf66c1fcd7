package io.jvirt.apiserver.http;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Forwards to a handler installed after the server has bound its port; 503 until then. */
public final class DelegatingHandler extends Handler.Abstract {
    private volatile Handler delegate;

    public void delegate(Handler handler) {
        this.delegate = handler;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Handler h = delegate;
        if (h == null) {
            HttpExchange ex = new HttpExchange(request, response);
            ex.sendError(ApiException.unavailable("the API server is starting"));
            callback.succeeded();
            return true;
        }
        return h.handle(request, response, callback);
    }
}
