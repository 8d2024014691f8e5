
/*
 * Tandem's additions to the xsnap worker (appended to xsnapPlatform.c by
 * boards/xs/xsnap-cache.ts when it builds XS).
 *
 * fxRunProgramInPlace runs a script the way a Moddable mod runs on a
 * microcontroller: compiled ahead by XS's own compiler (as xsc would on the
 * host), then its bytecode used in place, as flash is. Moddable's archiver
 * marks a mod's function code and string literals as archived (the
 * *_ARCHIVE opcodes, which XS interprets without copying); a script
 * compiled at run time instead copies each function's code and each string
 * literal into the XS heap when it is reached. The code buffer is kept
 * outside the XS heap for the life of the machine, as the mod's flash
 * would be; only what the program creates (its objects, closures, names)
 * is in the heap XS accounts for.
 */
extern void fxRemapIDs(txMachine* the, txByte* codeBuffer, txSize codeSize, txID* theIDs);

/* Bytes of code kept in place (the flash the programs would occupy). */
static size_t gxInPlaceCodeBytes = 0;

static void fxArchiveCodeInPlace(txByte* p, txByte* q)
{
	while (p < q) {
		txU1 code = *((txU1*)p);
		txS1 size;
		switch (code) {
		case XS_CODE_CODE_1: code = XS_CODE_CODE_ARCHIVE_1; break;
		case XS_CODE_CODE_2: code = XS_CODE_CODE_ARCHIVE_2; break;
		case XS_CODE_CODE_4: code = XS_CODE_CODE_ARCHIVE_4; break;
		case XS_CODE_STRING_1: code = XS_CODE_STRING_ARCHIVE_1; break;
		case XS_CODE_STRING_2: code = XS_CODE_STRING_ARCHIVE_2; break;
		case XS_CODE_STRING_4: code = XS_CODE_STRING_ARCHIVE_4; break;
		}
		*((txU1*)p) = code;
		size = gxCodeSizes[code];
		if (size > 0)
			p += size;
		else if (size == 0)
			p += 1 + sizeof(txID);
		else if (size == -1)
			p += 2 + *((txU1*)(p + 1));
		else if (size == -2) {
			txU2 length;
			p++;
			mxDecode2(p, length);
			p += length;
		}
		else {
			txS4 length;
			p++;
			mxDecode4(p, length);
			p += length;
		}
	}
}

void fxRunProgramInPlace(txMachine* the, txString source, txSize size)
{
	txSlot* realm = mxProgram.value.reference->next->value.module.realm;
	txStringCStream stream = { source, 0, size };
	txScript* script = fxParseScript(the, &stream, fxStringCGetter, mxProgramFlag);
	if (script == C_NULL)
		mxSyntaxError("the script does not compile");
	if (script->symbolsBuffer) {
		/* Name the script's symbols now, as fxRunScript would; without symbols, it leaves the code alone. */
		txByte* p = script->symbolsBuffer;
		txID count, index;
		txID* ids;
		mxDecodeID(p, count);
		ids = c_malloc(count * sizeof(txID));
		if (ids == C_NULL)
			fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
		ids[0] = XS_NO_ID;
		for (index = 1; index < count; index++) {
			ids[index] = fxNewNameC(the, (txString)p);
			p += mxStringLength((char*)p) + 1;
		}
		fxRemapIDs(the, script->codeBuffer, script->codeSize, ids);
		c_free(ids);
		c_free(script->symbolsBuffer);
		script->symbolsBuffer = C_NULL;
	}
	fxArchiveCodeInPlace(script->codeBuffer, script->codeBuffer + script->codeSize);
	gxInPlaceCodeBytes += script->codeSize;
	fxRunScript(the, script, mxRealmGlobal(realm), C_NULL, mxRealmClosures(realm)->value.reference, C_NULL, mxProgram.value.reference);
	mxPullSlot(mxResult);
	/* The code buffer stays: it is the program's flash. */
	if (script->hostsBuffer)
		c_free(script->hostsBuffer);
	c_free(script);
}

/*
 * How deep the stack has been, in slots: the part below the stack pointer
 * is painted once, at the first meter (before any program runs), as a
 * device paints its stack at reset. Pushes go down from the top; XS's
 * regular expressions and number conversions borrow the free part from
 * the bottom up as scratch. So the pushes' high-water mark is the lowest
 * slot touched in one run down from where the paint began, and the
 * scratch's the highest touched in one run up from the bottom. Where the
 * runs meet (a regular expression that backtracks far fills the free
 * part), each reads both as one.
 */
static txSlot* gxStackPaintedBelow = C_NULL;
#define mxStackPaint 0xA5

static int fxSlotPainted(txSlot* slot)
{
	txU1* p = (txU1*)slot;
	txU1* end = p + sizeof(txSlot);
	while (p < end) {
		if (*p != mxStackPaint)
			return 0;
		p++;
	}
	return 1;
}

/* 0: the pushes' depth, below the stack's top; 1: the scratch's, above its bottom. */
static int fxStackFigure(txMachine* the, int scratch)
{
	txSlot* slot;
	if (gxStackPaintedBelow == C_NULL) {
		gxStackPaintedBelow = the->stack;
		c_memset(the->stackBottom, mxStackPaint, (txU1*)gxStackPaintedBelow - (txU1*)the->stackBottom);
	}
	if (scratch) {
		slot = the->stackBottom;
		while (slot < gxStackPaintedBelow && !fxSlotPainted(slot))
			slot++;
		return (int)(slot - the->stackBottom);
	}
	slot = gxStackPaintedBelow;
	while (slot > the->stackBottom && !fxSlotPainted(slot - 1))
		slot--;
	return (int)(the->stackTop - slot);
}

/* The engine's own accounting, for the worker's meter. */
int fxHeapFigure(txMachine* the, int which)
{
	switch (which) {
	case 0: return (int)the->currentChunksSize;
	case 1: return (int)the->peakChunksSize;
	case 2: return (int)the->peakHeapCount;
	case 3: return (int)sizeof(txSlot);
	case 4: return (int)gxInPlaceCodeBytes;
	case 5: return fxStackFigure(the, 0);
	case 6: return fxStackFigure(the, 1);
	case 7: return (int)(the->stackTop - the->stackBottom);
	default: return 0;
	}
}

/*
 * A microcontroller's fixed heap, as Moddable's microcontroller platform
 * keeps XS's heap in the region a manifest's `static` creation setting
 * gives it: when the board sets TANDEM_XS_HEAP_BYTES, XS's chunks grow up
 * from the bottom of one region of that many bytes and its slots (the
 * stack first) down from the top, each in the build's steps. Chunks that
 * meet the slots fail after a collection; slots that meet the chunks get,
 * after a compacting collection, the chunks' unused tail, as Moddable's
 * allocator gives it (mc_xs_slot_allocator); past that XS aborts with
 * XS_NOT_ENOUGH_MEMORY_EXIT. One machine per worker process. Without it,
 * xsnap's own allocation.
 */
static txByte* gxRegionStart = C_NULL;
/* Chunks end here; slots begin at gxRegionSlots. */
static txByte* gxRegionChunks = C_NULL;
static txByte* gxRegionSlots = C_NULL;

/* Before the machine is created: 0, or -1 when the region cannot be had. */
int fxTandemHeapRegion(void)
{
	const char* text = getenv("TANDEM_XS_HEAP_BYTES");
	char* end;
	unsigned long long bytes;
	if (text == NULL || *text == 0)
		return 0;
	bytes = strtoull(text, &end, 10);
	if (*end != 0 || bytes == 0)
		return -1;
	gxRegionStart = c_malloc((size_t)bytes);
	if (gxRegionStart == C_NULL)
		return -1;
	gxRegionChunks = gxRegionStart;
	gxRegionSlots = gxRegionStart + bytes;
	return 0;
}

void* fxAllocateChunks(txMachine* the, txSize size)
{
	txByte* result;
	if (gxRegionStart == C_NULL)
		return fxAllocateChunksFromSystem(the, size);
	if (size > gxRegionSlots - gxRegionChunks)
		return C_NULL;
	result = gxRegionChunks;
	gxRegionChunks += size;
	adjustSpaceMeter(the, size);
	return result;
}

void fxFreeChunks(txMachine* the, void* theChunks)
{
	if (gxRegionStart == C_NULL)
		fxFreeChunksFromSystem(the, theChunks);
}

static txSlot* fxAllocateSlotsInRegion(txMachine* the, txSize theCount)
{
	txSize size = theCount * (txSize)sizeof(txSlot);
	if (size > gxRegionSlots - gxRegionChunks)
		return C_NULL;
	gxRegionSlots -= size;
	adjustSpaceMeter(the, size);
	return (txSlot*)gxRegionSlots;
}

txSlot* fxAllocateSlots(txMachine* the, txSize theCount)
{
	txSlot* result;
	txBlock* block;
	if (gxRegionStart == C_NULL)
		return fxAllocateSlotsFromSystem(the, theCount);
	result = fxAllocateSlotsInRegion(the, theCount);
	/* A machine being created has nothing to collect. */
	if (result != C_NULL || the->firstHeap == C_NULL || the->firstBlock == C_NULL)
		return result;
	fxCollect(the, XS_COMPACT_FLAG | XS_ORGANIC_FLAG);
	block = the->firstBlock;
	if (block->limit == gxRegionChunks) {
		the->maximumChunksSize -= (txSize)(block->limit - block->current);
		the->allocatedSpace -= (size_t)(block->limit - block->current);
		gxRegionChunks = block->current;
		block->limit = block->current;
	}
	return fxAllocateSlotsInRegion(the, theCount);
}

void fxFreeSlots(txMachine* the, void* theSlots)
{
	if (gxRegionStart == C_NULL)
		fxFreeSlotsFromSystem(the, theSlots);
}
