package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which links get the id, for an application in a context other than the root. */
class UrlSessionIdResolverTest {
    /** A request to http://shop.example:8080/shop/cart/view, the application's context being /shop. */
    private static HttpServletRequest requestInShop() {
        Map<String, Object> answers = Map.of(
                "getScheme", "http",
                "getServerName", "shop.example",
                "getServerPort", 8080,
                "getRequestURI", "/shop/cart/view",
                "getContextPath", "/shop");
        return (HttpServletRequest) Proxy.newProxyInstance(
                HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (proxy, method, args) -> {
                    if (!answers.containsKey(method.getName())) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    return answers.get(method.getName());
                });
    }

    @Test
    void linksInsideTheContext_getTheId() {
        UrlSessionIdResolver resolver = UrlSessionIdResolver.defaults();
        HttpServletRequest request = requestInShop();
        assertThat(resolver.isInContext(request, "/shop/checkout")).isTrue();
        assertThat(resolver.isInContext(request, "checkout")).isTrue();
        assertThat(resolver.isInContext(request, "../orders")).isTrue();
        assertThat(resolver.isInContext(request, "http://shop.example:8080/shop/x"))
                .isTrue();
    }

    @Test
    void linksThatLeaveTheContext_getNoId_evenWhenTheDotsAreEncoded() {
        UrlSessionIdResolver resolver = UrlSessionIdResolver.defaults();
        HttpServletRequest request = requestInShop();
        assertThat(resolver.isInContext(request, "/other/x")).isFalse();
        assertThat(resolver.isInContext(request, "../../other/x")).isFalse();
        assertThat(resolver.isInContext(request, "/shop/../other/x")).isFalse();
        // A browser reads %2e%2e as "..": these reach /other, though the raw path starts with /shop/.
        assertThat(resolver.isInContext(request, "/shop/%2e%2e/other/x")).isFalse();
        assertThat(resolver.isInContext(request, "/shop/%2E%2E/other/x")).isFalse();
        assertThat(resolver.isInContext(request, "%2e%2e/%2e%2e/other")).isFalse();
        assertThat(resolver.isInContext(request, "//evil.example/shop/x")).isFalse();
    }
}
