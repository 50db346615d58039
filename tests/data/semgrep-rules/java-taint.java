package app;

import java.io.FileInputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.naming.directory.DirContext;
import javax.naming.directory.SearchControls;
import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import javax.xml.xpath.XPath;
import org.owasp.encoder.Encode;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

public class Handlers extends HttpServlet {
    private static final Logger log = Logger.getLogger("app");
    private Connection conn;
    private DirContext ldap;
    private XPath xpath;

    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String name = request.getParameter("name");
        String sql = "SELECT * FROM users WHERE name = '" + name + "'";
        Statement st = conn.createStatement();
        // ruleid: java-tainted-sql
        st.executeQuery(sql);
        // ok: java-tainted-sql
        conn.prepareStatement("SELECT * FROM users WHERE name = ?");

        // ruleid: java-tainted-xss
        response.getWriter().print("<p>" + name + "</p>");
        // ok: java-tainted-xss
        response.getWriter().print("<p>" + Encode.forHtml(name) + "</p>");

        // ruleid: java-tainted-command
        Runtime.getRuntime().exec(new String[] {"sh", "-c", "ls " + name});
        // ok: java-tainted-command
        Runtime.getRuntime().exec(new String[] {"ls", "/tmp"});

        // ruleid: java-tainted-path
        FileInputStream in = new FileInputStream("/data/" + name);
        // ok: java-tainted-path
        FileInputStream fixed = new FileInputStream("/data/report.txt");

        // ruleid: java-tainted-log
        log.info("login attempt for " + name);
        // ok: java-tainted-log
        log.info("login attempt for " + name.replaceAll("[\r\n]", "_"));

        // ruleid: java-tainted-redirect
        response.sendRedirect(request.getParameter("next"));
        // ok: java-tainted-redirect
        response.sendRedirect("/home");
    }

    void lookup(String input) throws Exception {
        SearchControls sc = new SearchControls();
        // ruleid: java-tainted-ldap
        ldap.search("dc=example,dc=com", "(uid=" + input + ")", sc);
        // ok: java-tainted-ldap
        ldap.search("dc=example,dc=com", "(uid={0})", new Object[] {input}, sc);
    }

    void query(HttpServletRequest request, org.w3c.dom.Document doc) throws Exception {
        String user = request.getParameter("user");
        // ruleid: java-tainted-xpath
        xpath.evaluate("//users/user[@name='" + user + "']", doc);
        // ok: java-tainted-xpath
        xpath.evaluate("//users/user[@name='admin']", doc);
    }

    void remember(HttpServletResponse response, javax.servlet.http.HttpSession session) {
        // ruleid: java-weak-random-token
        Cookie c = new Cookie("rememberMe", Long.toString(new java.util.Random().nextLong()));
        // ok: java-weak-random-token
        Cookie d = new Cookie("theme", "dark");
        response.addCookie(c);
        response.addCookie(d);
    }

    void fetch(HttpServletRequest request) throws Exception {
        // ruleid: java-tainted-ssrf
        new java.net.URL(request.getParameter("url")).openConnection();
        // ok: java-tainted-ssrf
        new java.net.URL("https://api.example.com/items/" + request.getParameter("id")).openConnection();
    }
}

class SpringController {
    private org.springframework.jdbc.core.JdbcTemplate jdbc;

    @GetMapping("/users")
    public String users(@RequestParam("name") String name) {
        // ruleid: java-tainted-sql
        return jdbc.queryForObject("SELECT email FROM users WHERE name = '" + name + "'", String.class);
    }

    @GetMapping("/safe")
    public String safe(@RequestParam("name") String name) {
        // ok: java-tainted-sql
        return jdbc.queryForObject("SELECT email FROM users WHERE name = ?", String.class, name);
    }
}
