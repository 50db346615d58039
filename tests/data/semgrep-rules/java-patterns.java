package app;

import java.security.MessageDigest;
import java.util.Random;
import javax.crypto.Cipher;
import javax.naming.Context;
import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServletResponse;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.stream.XMLInputFactory;
import org.apache.http.impl.client.DefaultHttpClient;

public class Patterns {
    void run(String cmd, java.sql.Statement st, String id) throws Exception {
        // ruleid: java-command-injection
        Runtime.getRuntime().exec(cmd);
        // ok: java-command-injection
        Runtime.getRuntime().exec("uptime");
        String q = "SELECT * FROM orders WHERE id = " + id;
        // ruleid: java-sql-string-building
        st.executeQuery(q);
        // ok: java-sql-string-building
        st.executeQuery("SELECT * FROM orders WHERE id = " + 42);
    }

    void crypto(byte[] data) throws Exception {
        // ruleid: java-weak-hash
        MessageDigest.getInstance("MD5");
        // ok: java-weak-hash
        MessageDigest.getInstance("SHA-256");
        // ruleid: java-weak-cipher
        Cipher.getInstance("DES/CBC/PKCS5Padding");
        // ruleid: java-weak-cipher
        Cipher.getInstance("AES");
        // ok: java-weak-cipher
        Cipher.getInstance("AES/GCM/NoPadding");
        byte[] key = new byte[16];
        // ruleid: java-weak-random-bytes
        new Random().nextBytes(key);
        // ok: java-weak-random-bytes
        new java.security.SecureRandom().nextBytes(key);
    }

    void cookies(HttpServletResponse response, String sid) {
        Cookie open = new Cookie("sid", sid);
        // ruleid: java-cookie-without-secure, java-cookie-without-httponly
        response.addCookie(open);
        Cookie closed = new Cookie("sid", sid);
        closed.setSecure(true);
        closed.setHttpOnly(true);
        // ok: java-cookie-without-secure, java-cookie-without-httponly
        response.addCookie(closed);
    }

    void xml() throws Exception {
        // ruleid: java-xxe-document-builder
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.newDocumentBuilder();
    }

    void xmlSafe() throws Exception {
        // ok: java-xxe-document-builder
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        dbf.newDocumentBuilder();
    }

    void stax() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        // ruleid: java-xxe-stax-enabled
        f.setProperty(XMLInputFactory.SUPPORT_DTD, true);
        // ok: java-xxe-stax-enabled
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    }

    void ldap(java.util.Hashtable<String, String> env) {
        // ruleid: java-ldap-anonymous-bind
        env.put(Context.SECURITY_AUTHENTICATION, "none");
        // ok: java-ldap-anonymous-bind
        env.put(Context.SECURITY_AUTHENTICATION, "simple");
    }

    void http() throws Exception {
        // ruleid: java-default-http-client
        DefaultHttpClient client = new DefaultHttpClient();
        // ruleid: java-cleartext-url
        new java.net.URL("http://payments.example.net/api").openConnection();
        // ok: java-cleartext-url
        new java.net.URL("https://payments.example.net/api").openConnection();
        // ok: java-cleartext-url
        new java.net.URL("http://localhost:8080/health").openConnection();
    }
}

class TrustAll implements javax.net.ssl.X509TrustManager {
    // ruleid: java-trust-all-certificates
    public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
    }
}
