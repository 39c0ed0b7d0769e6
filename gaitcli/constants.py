"""The one place for gaitcli's constants: joint order, skeleton edges and sizes.

Everything in gaitcli speaks the seed project's 16 joints, in the seed's order.
"""

from __future__ import annotations

# --- joints ---------------------------------------------------------------

JOINT_NAMES: tuple[str, ...] = (
    "right_ankle",
    "right_knee",
    "right_hip",
    "left_hip",
    "left_knee",
    "left_ankle",
    "pelvis",
    "thorax",
    "upper_neck",
    "head_top",
    "right_wrist",
    "right_elbow",
    "right_shoulder",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
)
NUM_JOINTS = len(JOINT_NAMES)  # 16
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

R_ANKLE, R_KNEE, R_HIP, L_HIP, L_KNEE, L_ANKLE = range(6)
PELVIS, THORAX, UPPER_NECK, HEAD_TOP = range(6, 10)
R_WRIST, R_ELBOW, R_SHOULDER, L_SHOULDER, L_ELBOW, L_WRIST = range(10, 16)

#: Index of each joint's mirror partner (left <-> right); centre joints map to themselves.
MIRROR_JOINTS: tuple[int, ...] = (5, 4, 3, 2, 1, 0, 6, 7, 8, 9, 15, 14, 13, 12, 11, 10)

#: Bones of the 16-joint skeleton (parent, child).  15 bones make the tree; the
#: 16th (right hip - left hip) closes the pelvis so limb maps come to 16 channels.
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (R_HIP, R_KNEE),
    (R_KNEE, R_ANKLE),
    (L_HIP, L_KNEE),
    (L_KNEE, L_ANKLE),
    (PELVIS, R_HIP),
    (PELVIS, L_HIP),
    (PELVIS, THORAX),
    (THORAX, UPPER_NECK),
    (UPPER_NECK, HEAD_TOP),
    (THORAX, R_SHOULDER),
    (R_SHOULDER, R_ELBOW),
    (R_ELBOW, R_WRIST),
    (THORAX, L_SHOULDER),
    (L_SHOULDER, L_ELBOW),
    (L_ELBOW, L_WRIST),
    (R_HIP, L_HIP),
)
NUM_LIMBS = len(SKELETON_EDGES)  # 16

# --- spatial features -------------------------------------------------------

#: The seed's per-frame spatial features: 17 x 17 x 32.
FEATURE_SIZE = 17
FEATURE_CHANNELS = 32
FEATURE_SHAPE: tuple[int, int, int] = (FEATURE_SIZE, FEATURE_SIZE, FEATURE_CHANNELS)

# --- seed pose network (HumanPoseIRNetwork) ---------------------------------------

IR_INPUT_SIZE = 299  # the seed's input resolution
IR_HEATMAP_SIZE = 289  # 17 * 17 after the stride-17 transposed conv

# --- gait ------------------------------------------------------------------------

IDENTIFICATION_SIZE = 512  # the seed's identification vector width
CANONICAL_FPS = 15.0  # the frame rate the gait network sees (gait cycle ~1.1 s = ~16 frames)
WINDOW_FRAMES = 24  # frames per gait window at CANONICAL_FPS (1.6 s: more than one gait cycle)
WINDOW_STRIDE = 12  # frames between the starts of consecutive windows
MAX_WALK_WINDOWS = 256  # a longer walk (~3.5 min) is embedded from this many windows spread evenly over it

#: Spatial-feature spaces: a pose engine names the one it produces (``feature_space``), a gait
#: checkpoint the one it was trained on; mixing them is refused.
FEATURE_SPACE_SEED_IR = "seed-ir-v1"  # the seed HumanPoseIRNetwork's learned Scoring_layer maps
FEATURE_SPACE_JOINT_MAPS = "joint-maps-v2"  # gaitcli.features.joint_maps (v2: legs ordered front/back)
#: What found a walk's joints (``Embedder.pose_engine``; recorded beside vectors, in galleries and in
#: gaitcli pose files): BlazePose single pass, BlazePose flip-averaged (the default), the seed's network.
POSE_ENGINE_SETTINGS = ("blazepose", "blazepose, flip-averaged", "seed-ir")

# --- input limits ----------------------------------------------------------------

#: Images above this many pixels are refused instead of exhausting memory (~100 MP).
MAX_IMAGE_PIXELS = 100_000_000

#: Frame rates gaitcli reads (a video's header, --fps, a keypoint file's "fps"): below the low end a
#: gait cycle (~1.1 s) has too few frames to resample to CANONICAL_FPS; above the high end the header is wrong.
MIN_FPS = 5.0
MAX_FPS = 1000.0
#: Largest frame number a keypoint file may give (image ids, numbers in file names, "index").
MAX_FRAME_INDEX = 1_000_000_000
#: Most frames a walk may cover once the frames between its rows are filled (~4.6 h at 30 fps);
#: rows more than 0.2 s apart split the walk instead of being filled, so their gaps do not count.
MAX_WALK_FRAMES = 500_000
#: Keypoint JSON above this size (a folder's files together) is refused before it is parsed:
#: reading takes about 10 times the file in memory (an 80 MB file of 181,040 results: 0.9 GB).
MAX_KEYPOINT_FILE_BYTES = 128 * 1024 * 1024
#: Most person entries (detections) a keypoint input may hold, and in any one frame (tracking
#: compares every person of a frame with every person followed).
MAX_KEYPOINT_RESULTS = 1_000_000
MAX_PEOPLE_PER_FRAME = 50
#: Keypoint coordinates beyond this many pixels from the origin are refused (not a real image).
MAX_KEYPOINT_COORDINATE = 1_000_000.0
#: Longest name of a person or a camera in a gallery (characters).
MAX_NAME_LENGTH = 200
#: A .npy vectors file may hold this many bytes of vectors (1 GiB: half a million 512-d walks).
MAX_VECTORS_BYTES = 1024 * 1024 * 1024
#: Lengths a row of a .npy vectors file may have: gaitcli's vectors have length 1, and a row of
#: zeros or of values near 3e38 is no identification vector.
VECTOR_LENGTH_RANGE = (1e-3, 1e3)

# --- batches -------------------------------------------------------------------------

#: When stderr is not a terminal, a batch prints a progress line this often (seconds;
#: ``$GAITCLI_PROGRESS_INTERVAL`` overrides).
PROGRESS_INTERVAL_S = 5.0
#: Two identification vectors closer than this in every component are the same walk.
SAME_WALK_TOLERANCE = 1e-6
#: The file name ending of a gallery (another name is taken only for an existing gallery file).
GALLERY_SUFFIX = ".gallery"
