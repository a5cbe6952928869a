/* version.h: what was built. */
#ifndef ZC_VERSION_H
#define ZC_VERSION_H

/* "0.1.0" */
const char	*zc_version(void);
/* "+openssl +ktls +systemd" (or -openssl ...): the built features. */
const char	*zc_version_features(void);

#endif
