/* version.c: the version and the features this binary was built with. */
#include "zcbuild.h"	/* autoconf's, from the build directory */

#ifdef HAVE_OPENSSL
#include <openssl/opensslconf.h>
#endif

#include "version.h"

const char *
zc_version(void)
{
	return (PACKAGE_VERSION);
}

const char *
zc_version_features(void)
{
	return (
#ifdef HAVE_OPENSSL
	    "+openssl +tls"
#if defined(OPENSSL_NO_KTLS)
	    " -ktls"
#else
	    " +ktls"
#endif
#else
	    "-openssl -tls -ktls"
#endif
#ifdef HAVE_SYSTEMD
	    " +systemd"
#else
	    " -systemd"
#endif
	    );
}
