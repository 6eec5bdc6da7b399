#include "email/tracking.hpp"

#include <gtest/gtest.h>

#include <set>

#include "email/html.hpp"

namespace rapport::email {
namespace {

constexpr char kBase[] = "https://crm.example.com";

TEST(TrackingTest, TokensAreRandomUrlSafeAndStoredHashed) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Token token = NewToken();
    EXPECT_TRUE(IsTokenShaped(token.value)) << token.value;
    EXPECT_EQ(token.hash, HashToken(token.value));
    EXPECT_EQ(token.hash.size(), 64u);
    EXPECT_NE(token.hash, token.value);
    EXPECT_TRUE(seen.insert(token.value).second);
  }
  EXPECT_FALSE(IsTokenShaped(""));
  EXPECT_FALSE(IsTokenShaped(std::string(42, 'a')));
  EXPECT_FALSE(IsTokenShaped(std::string(42, 'a') + "/"));
  EXPECT_TRUE(IsTokenShaped(std::string(43, '-')));
}

TEST(TrackingTest, PixelIsAOneByOneGif) {
  const std::string_view gif = PixelGif();
  ASSERT_EQ(gif.size(), 43u);
  EXPECT_EQ(gif.substr(0, 6), "GIF89a");
  EXPECT_EQ(static_cast<unsigned char>(gif[6]), 1);  // width
  EXPECT_EQ(static_cast<unsigned char>(gif[8]), 1);  // height
  EXPECT_EQ(gif.back(), ';');
}

TEST(TrackingTest, RewritesHttpLinksAndRecordsTheirUrls) {
  const std::string html =
      "<html><body><p>See <a href=\"https://example.com/a?x=1&amp;y=2\">this</a>, "
      "<A class='x' HREF='http://example.com/b'>that</A>, <a href=mailto:ada@example.com>mail</a>, "
      "<a href=\"#top\">top</a>, <a href=\"/relative\">rel</a> and "
      "<a title=\"no link\">none</a>.</p></body></html>";
  TrackedHtml tracked = AddTracking(html, kBase, /*opens=*/false, /*clicks=*/true);
  ASSERT_EQ(tracked.links.size(), 2u);
  EXPECT_EQ(tracked.links[0].position, 0);
  EXPECT_EQ(tracked.links[0].url, "https://example.com/a?x=1&y=2");
  EXPECT_EQ(tracked.links[1].position, 1);
  EXPECT_EQ(tracked.links[1].url, "http://example.com/b");
  EXPECT_FALSE(tracked.pixel);
  for (const TrackedLink& link : tracked.links) {
    EXPECT_NE(tracked.html.find("=\"https://crm.example.com/t/c/" + link.token.value + "\">"),
              std::string::npos)
        << tracked.html;
  }
  EXPECT_EQ(tracked.html.find("https://example.com/a"), std::string::npos);
  EXPECT_NE(tracked.html.find("class='x'"), std::string::npos);  // other attributes kept
  EXPECT_NE(tracked.html.find("href=mailto:ada@example.com"), std::string::npos);
  EXPECT_NE(tracked.html.find("href=\"#top\""), std::string::npos);
  EXPECT_NE(tracked.html.find("href=\"/relative\""), std::string::npos);
  EXPECT_NE(tracked.html.find(">this</a>"), std::string::npos);
}

TEST(TrackingTest, LeavesCommentsScriptsAndStylesAlone) {
  const std::string html =
      "<!-- <a href=\"https://hidden.example.com\">x</a> -->"
      "<style>a[href=\"https://css.example.com\"]{}</style>"
      "<script>var s = '<a href=\"https://js.example.com\">';</script>"
      "<a href=\"https://real.example.com\">real</a>";
  TrackedHtml tracked = AddTracking(html, kBase, false, true);
  ASSERT_EQ(tracked.links.size(), 1u);
  EXPECT_EQ(tracked.links[0].url, "https://real.example.com");
  EXPECT_NE(tracked.html.find("https://hidden.example.com"), std::string::npos);
  EXPECT_NE(tracked.html.find("https://css.example.com"), std::string::npos);
  EXPECT_NE(tracked.html.find("https://js.example.com"), std::string::npos);
}

TEST(TrackingTest, RecordedUrlsCannotCarryHeaderBreaks) {
  const std::string html =
      "<a href=\"https://example.com/x&#13;&#10;Set-Cookie: a=b\">x</a>"
      "<a href=\"  https://example.com/caf\xc3\xa9 page \">y</a>";
  TrackedHtml tracked = AddTracking(html, kBase, false, true);
  ASSERT_EQ(tracked.links.size(), 2u);
  EXPECT_EQ(tracked.links[0].url, "https://example.com/x%0D%0ASet-Cookie:%20a=b");
  EXPECT_EQ(tracked.links[1].url, "https://example.com/caf%C3%A9%20page");
  for (const TrackedLink& link : tracked.links) {
    for (const char c : link.url) {
      EXPECT_TRUE(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
    }
  }
}

TEST(TrackingTest, PixelGoesBeforeTheClosingBody) {
  TrackedHtml tracked = AddTracking("<html><BODY><p>Hi</p></BODY></html>", kBase, true, false);
  ASSERT_TRUE(tracked.pixel);
  const std::string img =
      "<img src=\"https://crm.example.com/t/o/" + tracked.pixel->value + ".gif\"";
  const auto at = tracked.html.find(img);
  ASSERT_NE(at, std::string::npos) << tracked.html;
  EXPECT_LT(at, tracked.html.find("</BODY>"));
  EXPECT_GT(at, tracked.html.find("<p>Hi</p>"));
  // Without a body element it goes at the end.
  TrackedHtml fragment = AddTracking("<p>Hi</p>", kBase, true, true);
  ASSERT_TRUE(fragment.pixel);
  EXPECT_TRUE(fragment.html.starts_with("<p>Hi</p><img src=")) << fragment.html;
  EXPECT_TRUE(fragment.links.empty());
}

TEST(TrackingTest, NothingChangesWithoutTracking) {
  const std::string html = "<p><a href=\"https://example.com\">x</a></p>";
  TrackedHtml tracked = AddTracking(html, kBase, false, false);
  EXPECT_EQ(tracked.html, html);
  EXPECT_TRUE(tracked.links.empty());
  EXPECT_FALSE(tracked.pixel);
}

TEST(TrackingTest, UnclosedMarkupIsCopiedThrough) {
  for (const std::string html : {"<a href=\"https://example.com", "<!-- open", "<p", "a < b"}) {
    TrackedHtml tracked = AddTracking(html, kBase, false, true);
    EXPECT_EQ(tracked.html, html);
  }
}

TEST(HtmlTest, TextBecomesEscapedHtmlWithLinks) {
  const std::string html = TextToHtml("Hi <Ada> & co,\nsee https://example.com/x?a=1&b=2.\r\nBye");
  EXPECT_NE(html.find("Hi &lt;Ada&gt; &amp; co,<br>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"https://example.com/x?a=1&amp;b=2\">"), std::string::npos) << html;
  EXPECT_NE(html.find("</a>.<br>\nBye"), std::string::npos) << html;
  // Its links are trackable, with the & decoded again.
  TrackedHtml tracked = AddTracking(html, kBase, true, true);
  ASSERT_EQ(tracked.links.size(), 1u);
  EXPECT_EQ(tracked.links[0].url, "https://example.com/x?a=1&b=2");
}

TEST(HtmlTest, HtmlBecomesText) {
  EXPECT_EQ(HtmlToText("<html><head><title>T</title><style>p{}</style></head><body>"
                       "<p>Thanks,&nbsp;that works!</p><div>Line two<br>Line  three</div>"
                       "<blockquote>quoted <b>original</b></blockquote><p>Ada</p></body></html>"),
            "Thanks,\xc2\xa0that works!\n\nLine two\nLine three\n\nAda");
  EXPECT_EQ(DecodeHtmlEntities("&lt;&#65;&#x42;&amp;&unknown;&"), "<AB&&unknown;&");
  EXPECT_EQ(EscapeHtml("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

}  // namespace
}  // namespace rapport::email
