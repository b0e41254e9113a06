/*
 * The Asterisk store: records from the CDR database's rows that name a
 * recordingfile, audio from the tenant's monitor directory.
 */
#include "recordings.h"

const struct rec_store rec_cdr = { .name = "asterisk" };
