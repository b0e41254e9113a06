/*
 * The FusionPBX store: records from v_xml_cdr's rows with a recording,
 * audio from their record_path below the tenant's recordings root.
 */
#include "recordings.h"

const struct rec_store rec_fpx = { .name = "fusionpbx" };
