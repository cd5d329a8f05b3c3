/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sv-vsim-image.h: the file system of the virtual card and its JSON image.
 *
 * The image format is documented in tests/data/cards/README.md.  A card is
 * a tree of nodes (MF, DFs, ADFs, EFs).  A node may be an alias of another
 * node: it has its own FID and place in the tree, but its contents (and,
 * for a DF, its children) are the target's, so a write through one path is
 * seen through the other (TS 31.102 Annex: DF_TELECOM/EF_ADN is often the
 * first ADN of the global phonebook). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  SV_VSIM_NODE_MF,
  SV_VSIM_NODE_DF,
  SV_VSIM_NODE_ADF,
  SV_VSIM_NODE_EF,
} SvVsimNodeKind;

typedef enum
{
  SV_VSIM_EF_TRANSPARENT,
  SV_VSIM_EF_LINEAR,
  SV_VSIM_EF_CYCLIC,
} SvVsimStructure;

/* Access conditions, TS 51.011 §9.3 / TS 102.221 §9.2 (simplified to the
 * levels a SIM actually uses). */
typedef enum
{
  SV_VSIM_ACCESS_ALWAYS,
  SV_VSIM_ACCESS_PIN1,
  SV_VSIM_ACCESS_PIN2,
  SV_VSIM_ACCESS_ADM,
  SV_VSIM_ACCESS_NEVER,
} SvVsimAccess;

typedef struct _SvVsimNode SvVsimNode;

struct _SvVsimNode
{
  SvVsimNodeKind   kind;
  guint16          fid;
  char            *path;          /* "3F00/7F10/6F3A" */
  char            *name;          /* "EF_ADN", informative */
  SvVsimNode      *parent;
  GPtrArray       *children;      /* of SvVsimNode, owned; DFs only */
  SvVsimNode      *alias_of;      /* contents come from here when set */
  SvVsimStructure  structure;
  guint            record_length; /* 0 for transparent EFs */
  guint            record_count;
  GByteArray      *body;          /* transparent data or records back to back */
  SvVsimAccess     read_access;
  SvVsimAccess     update_access;
  guint8           sfi;           /* 0: none */
  GBytes          *aid;           /* ADF only */
  gboolean         uicc_only;     /* the ADF and everything below it */
  JsonObject      *json;          /* the object it was loaded from (ref) */
};

typedef struct
{
  const char *label;   /* "pin1" */
  gboolean    present;
  char       *value;   /* ASCII digits */
  gboolean    enabled;
  gboolean    verified;
  guint       tries_left;
  guint       max_tries;
} SvVsimSecret;

typedef enum
{
  SV_VSIM_SECRET_PIN1,
  SV_VSIM_SECRET_PUK1,
  SV_VSIM_SECRET_PIN2,
  SV_VSIM_SECRET_PUK2,
  SV_VSIM_SECRET_ADM1,
  SV_VSIM_SECRET_UPIN,     /* universal PIN, key reference 11 (UICC) */
  SV_VSIM_SECRET_UPUK,     /* its unblock key */
  SV_VSIM_N_SECRETS
} SvVsimSecretId;

typedef struct
{
  char         *name;
  GBytes       *atr;
  gboolean      mode_2g;
  gboolean      mode_uicc;
  gboolean      select_fcp_direct; /* quirk: FCP without 61xx when Le given */
  gboolean      universal_pin;     /* secrets.upin.used: the universal PIN
                                    * replaces PIN1 (TS 102.221 §9.5.1) */
  SvVsimSecret  secrets[SV_VSIM_N_SECRETS];
  SvVsimNode   *mf;
  SvVsimNode   *adf;               /* the first ADF, or NULL */
  JsonNode     *root;
} SvVsimImage;

#define SV_VSIM_IMAGE_ERROR (sv_vsim_image_error_quark ())
GQuark sv_vsim_image_error_quark (void);

SvVsimImage *sv_vsim_image_load           (const char   *path,
                                           GError      **error);
SvVsimImage *sv_vsim_image_load_from_data (const char   *json,
                                           gssize        length,
                                           GError      **error);
char        *sv_vsim_image_to_data        (SvVsimImage  *image,
                                           gsize        *length);
gboolean     sv_vsim_image_save           (SvVsimImage  *image,
                                           const char   *path,
                                           GError      **error);
void         sv_vsim_image_free           (SvVsimImage  *image);
SvVsimNode  *sv_vsim_image_lookup         (SvVsimImage  *image,
                                           const char   *path);

SvVsimNode  *sv_vsim_node_target          (SvVsimNode   *node);
SvVsimNode  *sv_vsim_node_child           (SvVsimNode   *df,
                                           guint16       fid);
SvVsimNode  *sv_vsim_node_child_by_sfi    (SvVsimNode   *df,
                                           guint8        sfi);
guint        sv_vsim_node_size            (SvVsimNode   *node);
gboolean     sv_vsim_node_is_df           (SvVsimNode   *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvVsimImage, sv_vsim_image_free)

G_END_DECLS
