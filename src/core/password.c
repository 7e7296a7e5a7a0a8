#include "core/password.h"

#include <string.h>
#include <strings.h>

#include "core/utf8.h"

static bool contains_ci(const char *hay, const char *needle, size_t nlen);

/*
 * Common passwords of 12 characters or more, lower case: long runs of digits
 * and keyboard rows, and the usual words padded with digits, years and
 * symbols to reach a length rule. Written from well-known patterns.
 */
static const char *const common[] = {
	/* digits */
	"123456789012", "1234567890123", "12345678901234", "123456789123", "123123123123",
	"111111111111", "000000000000", "121212121212", "112233445566", "987654321098",
	"098765432109", "123456123456", "147258369147", "789456123789", "159753159753",
	"123412341234", "666666666666", "888888888888", "999999999999", "555555555555",
	"777777777777", "123321123321", "101010101010", "1234567890123456", "123456654321",
	"147852369123", "741852963741", "963852741963", "321321321321", "010101010101",
	/* keyboard */
	"qwertyuiopas", "qwertyuiop12", "qwertyuiop123", "qwerty123456", "qwerty12345678",
	"qwertyqwerty", "qwertyuiopasdfghjkl", "qwertyuiopasdfghjklzxcvbnm", "asdfghjkl123",
	"asdfasdfasdf", "zxcvbnm12345", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u", "1qaz2wsx3edc",
	"1qaz2wsx3edc4rfv", "zaq12wsxcde3", "zaq1zaq1zaq1", "q1w2e3r4t5y6", "1qazxsw23edc",
	"qazwsxedcrfv", "qweasdzxc123", "123qweasdzxc", "qwe123qwe123", "1qaz@wsx#edc",
	"1qaz!qaz1qaz", "qwerty1234567890", "1234567890qwertyuiop", "1234qwerasdfzxcv",
	"qwertyasdfgh", "azertyuiop12", "azerty123456", "qwertz123456", "qwerty!23456",
	"!qaz2wsx3edc", "1qaz2wsx!qaz", "asdfghjklzxcvbnm", "zxcvbnmasdfghjkl", "poiuytrewq12",
	"mnbvcxz12345", "qwerty123qwe", "qwertyuiop1234",
	/* letters */
	"abcdefghijkl", "abcdefgh1234", "abcd12345678", "abc123456789", "a1b2c3d4e5f6",
	"aaaaaaaaaaaa", "abc123abc123", "abcdefghijklmnop", "abcdabcdabcd", "aa1234567890",
	/* password */
	"password1234", "password12345", "password123456", "password1234567", "passwordpassword",
	"password@123", "passw0rd1234", "p@ssw0rd1234", "p@ssword1234", "p@ssw0rd123!",
	"mypassword123", "mypassword12", "newpassword1", "newpassword123", "password2023",
	"password2024", "password2025", "password2026", "password2024!", "password2025!",
	"password!234", "passw0rd!234", "p@$$w0rd1234", "password0000", "password1111",
	"password123!", "password1!23", "secretpassword", "supersecret1", "supersecret123",
	"topsecret123", "temppassword", "adminpassword", "rootpassword", "changeme1234",
	"changeme123!", "changemenow1", "default12345", "default1234567",
	/* phrases and words */
	"iloveyou1234", "iloveyou12345", "iloveyouiloveyou", "iloveyoubaby", "welcome12345",
	"welcome123456", "welcome@1234", "welcome2023!", "welcome2024!", "welcome2025!",
	"welcome2026!", "letmein12345", "letmeinplease", "letmein123456", "administrator",
	"administrator1", "admin1234567", "adminadmin12", "admin@123456", "root12345678",
	"trustno1trustno1", "football1234", "football12345", "baseball1234", "basketball12",
	"basketball123", "soccer123456", "hockey123456", "superman1234", "batman123456",
	"spiderman123", "starwars1234", "pokemon12345", "dragon123456", "monkey123456",
	"master123456", "shadow123456", "sunshine1234", "princess1234", "princess12345",
	"michael12345", "jennifer1234", "jordan232323", "jordan123456", "charlie12345",
	"thomas123456", "liverpool123", "chelsea12345", "arsenal12345", "manchesterunited",
	"computer1234", "internet1234", "whatever1234", "freedom12345", "correcthorsebatterystaple",
	"thequickbrownfox", "facebook1234", "linkedin1234", "microsoft123", "microsoft1234",
	"windows12345", "office365123", "google123456", "guest1234567", "test12345678",
	"testtest1234", "testing12345", "user12345678", "username1234", "demo12345678",
	"temp12345678", "login1234567", "summer2024!!", "winter2024!!", "spring2024!!",
	"autumn2024!!", "summer123456", "winter123456", "iloveyou2024", "hello1234567",
	"helloworld12", "helloworld123", "lovelovelove", "babygirl1234", "loveyou12345",
	"asshole12345", "fuckyou12345", "killer123456", "ninja1234567", "mustang12345",
	"harley123456", "ranger123456", "buster123456", "tigger123456", "cookie123456",
	"maggie123456", "pepper123456", "ginger123456", "hunter123456", "daniel123456",
	"ashley123456", "nicole123456", "jessica12345", "matthew12345", "andrew123456",
	"joshua123456", "anthony12345", "qwerty2024!!", "trustnoone12", "blink182blink182",
	"letmein!1234", "company12345", "security1234", "security12345", "incident1234",
};

unsigned password_common_count(void)
{
	return (unsigned)(sizeof(common) / sizeof(common[0]));
}

const char *password_common_entry(unsigned i)
{
	return i < password_common_count() ? common[i] : NULL;
}

bool password_is_common(const char *pw)
{
	if (!pw)
		return false;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcasecmp(pw, common[i]) == 0)
			return true;
	return false;
}

static bool contains_ci(const char *hay, const char *needle, size_t nlen)
{
	size_t hlen = strlen(hay);
	if (nlen == 0 || nlen > hlen)
		return false;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (strncasecmp(hay + i, needle, nlen) == 0)
			return true;
	return false;
}

int password_check(const char *pw, const char *email, struct strbuf *why)
{
	if (!pw || !*pw) {
		sb_puts(why, "password is required");
		return SIRT_EINVAL;
	}
	size_t n = strlen(pw), ncp;
	if (n > PASSWORD_MAX_BYTES) {
		sb_printf(why, "password is longer than %d bytes", PASSWORD_MAX_BYTES);
		return SIRT_EINVAL;
	}
	if (!utf8_valid(pw, n, &ncp)) {
		sb_puts(why, "password is not valid UTF-8");
		return SIRT_EINVAL;
	}
	if (ncp < PASSWORD_MIN_CHARS) {
		sb_printf(why, "password must be at least %d characters long (it has %zu)",
			  PASSWORD_MIN_CHARS, ncp);
		return SIRT_EINVAL;
	}
	bool same = true;
	for (size_t i = 1; i < n && same; i++)
		same = pw[i] == pw[0];
	if (same) {
		sb_puts(why, "password is one character repeated");
		return SIRT_EINVAL;
	}
	if (email && *email) {
		const char *at = strrchr(email, '@');
		size_t llen = at ? (size_t)(at - email) : strlen(email);
		size_t lcp = 0;
		if (strcasecmp(pw, email) == 0) {
			sb_puts(why, "password must not be the e-mail address");
			return SIRT_EINVAL;
		}
		if (utf8_valid(email, llen, &lcp) && lcp >= PASSWORD_LOCAL_MIN &&
		    contains_ci(pw, email, llen)) {
			sb_puts(why, "password must not contain the name in the e-mail address (the "
				"part before the '@')");
			return SIRT_EINVAL;
		}
	}
	if (password_is_common(pw)) {
		sb_puts(why, "password is one of the most commonly used passwords");
		return SIRT_EINVAL;
	}
	return 0;
}
